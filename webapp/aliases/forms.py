from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length

from webapp.forms import BaseForm


class AliasForm(BaseForm):
    local_part = StringField(
        _l("Alias"),
        validators=[Length(max=1000)],
        description=_l(
            "The part before the @: letters a to z, digits, . _ and -. It may be the "
            "same as a mailbox's."
        ),
    )
    destination = StringField(
        _l("Destination"),
        validators=[Length(max=1000)],
        description=_l("Where its mail goes: any email address, or devnull@devnull to discard it."),
    )

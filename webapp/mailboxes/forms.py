from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from webapp.forms import BaseForm
from webapp.models import MailboxStatus

# Rules live in webapp.validators, applied by the service; these only bound the input.
_BOUND = [Length(max=1000)]


class MailboxForm(BaseForm):
    first_name = StringField(_l("First name"), validators=_BOUND)
    last_name = StringField(_l("Last name"), validators=_BOUND)
    local_part = StringField(
        _l("Address"),
        validators=_BOUND,
        description=_l(
            "Suggested from the names; letters a to z, digits, . _ and -. "
            "It cannot be changed once created."
        ),
    )
    # Set by the page's script once the user edits the address, so suggestions stop.
    local_part_edited = HiddenField()
    secondary_email = EmailField(
        _l("Secondary email"),
        validators=_BOUND,
        description=_l("An address the person already reads: the confirmation goes there."),
    )


class MailboxEditForm(BaseForm):
    first_name = StringField(_l("First name"), validators=_BOUND)
    last_name = StringField(_l("Last name"), validators=_BOUND)
    secondary_email = EmailField(_l("Secondary email"), validators=_BOUND)


class NamesForm(BaseForm):
    first_name = StringField(_l("First name"), validators=_BOUND)
    last_name = StringField(_l("Last name"), validators=_BOUND)


class ActionForm(BaseForm):
    confirm = HiddenField()


# The list's filters: a GET form written in the template (no validation, nothing to bind).
SORT_CHOICES = [
    SelectChoice("name", _l("Name (A to Z)")),
    SelectChoice("-name", _l("Name (Z to A)")),
    SelectChoice("address", _l("Address")),
    SelectChoice("status", _l("Status")),
    SelectChoice("-created", _l("Newest first")),
]
STATUS_CHOICES = [SelectChoice("", _l("All statuses"))] + [
    SelectChoice(s.value, s.lazy_label) for s in MailboxStatus
]

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms.validators import InputRequired

from webapp.forms import BaseForm


class ImportForm(BaseForm):
    file = FileField(
        _l("File"),
        validators=[InputRequired(message=_l("Choose the file to import."))],
        description=_l("CSV (comma or semicolon, UTF-8 or Windows-1252) or Excel (.xlsx)."),
    )

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webapp.forms import BaseForm


class CodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Type the code.")), Length(max=64)],
    )


class EnrolForm(CodeForm):
    pass


class LoginCodeForm(CodeForm):
    code = StringField(
        _l("Code"),
        description=_l("The 6 digits your app shows, or one of your recovery codes."),
        validators=[DataRequired(_l("Type the code.")), Length(max=64)],
    )


class PasswordAgainForm(BaseForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
    )

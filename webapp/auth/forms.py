from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import BaseForm
from webapp.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(BaseForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Enter your email.")), Length(max=254)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Remember me on this device"))


class LogoutForm(BaseForm):
    pass


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Enter your email.")), Length(max=254)]
    )


class SetPasswordForm(BaseForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
            Length(max=1024, message=_l("Use at most 1024 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )

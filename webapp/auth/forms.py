from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import BaseForm
from webapp.services.accounts import MIN_PASSWORD_LENGTH


class LoginForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Remember me on this device")


class LogoutForm(BaseForm):
    pass


class ForgotPasswordForm(BaseForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)])


class SetPasswordForm(BaseForm):
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH, message=f"Use at least {MIN_PASSWORD_LENGTH} characters."
            ),
            Length(max=1024, message="Use at most 1024 characters."),
        ],
    )
    confirm = PasswordField(
        "New password, again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("new_password", "The two passwords are not the same."),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )

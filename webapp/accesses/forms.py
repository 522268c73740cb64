from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from webapp.forms import BaseForm
from webapp.models import Role

ROLE_CHOICES = [SelectChoice(r.value, r.lazy_label) for r in Role]


class RoleForm(BaseForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validate_choice=False)


class InviteForm(BaseForm):
    email = EmailField(_l("Email"), validators=[Length(max=1000)])
    # Its own id: the members' table on the same page has role selects of its own.
    role = SelectField(
        _l("Role"), choices=ROLE_CHOICES, validate_choice=False, default="viewer", id="invite-role"
    )


class AcceptForm(BaseForm):
    name = StringField(_l("Your name"), validators=[Length(max=1000)])
    password = PasswordField(_l("Choose a password"), validators=[Length(max=2000)])

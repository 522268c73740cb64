from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from webapp.forms import BaseForm
from webapp.models import DomainStatus


class DomainForm(BaseForm):
    # The rules themselves live in webapp.validators, applied by the service.
    name = StringField(
        "Domain name",
        validators=[InputRequired("Enter a domain name, such as example.fr."), Length(max=1000)],
        description="For example example.fr. Accented names are accepted.",
    )
    support_email = EmailField(
        "Support email",
        validators=[InputRequired("Enter the email address of the domain's support.")],
        description="Where we send news about this domain, such as when it is ready.",
    )


class StatusForm(BaseForm):
    status = SelectField(
        "New status",
        choices=[SelectChoice(s.value, s.label) for s in DomainStatus],
        validate_choice=False,
    )

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from webapp.forms import BaseForm
from webapp.i18n import LANGUAGE_NAMES
from webapp.models import DomainStatus


def _default_locale() -> str:
    return current_app.config["DEFAULT_LOCALE"]


def _locale_field():
    # Unknown values are ignored by the service: no error to show for a choice nobody types.
    return SelectField(
        _l("Language of the status emails"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validate_choice=False,
        default=_default_locale,
        description=_l("The support address receives the domain's news in this language."),
    )


class DomainForm(BaseForm):
    # The rules themselves live in webapp.validators, applied by the service.
    name = StringField(
        _l("Domain name"),
        validators=[
            InputRequired(_l("Enter a domain name, such as example.fr.")),
            Length(max=1000),
        ],
        description=_l("For example example.fr. Accented names are accepted."),
    )
    support_email = EmailField(
        _l("Support email"),
        validators=[InputRequired(_l("Enter the email address of the domain's support."))],
        description=_l("Where we send news about this domain, such as when it is ready."),
    )
    locale = _locale_field()


class StatusForm(BaseForm):
    status = SelectField(
        _l("New status"),
        choices=[SelectChoice(s.value, s.lazy_label) for s in DomainStatus],
        validate_choice=False,
    )
    locale = _locale_field()

"""What every template can use."""

from flask import current_app
from flask_login import current_user

from webapp.models import DomainStatus
from webapp.permissions import Role, may_create_domains


def _globals():
    return {
        "DomainStatus": DomainStatus,
        "Role": Role,
        "can_create_domains": may_create_domains(
            current_user, current_app.config["DOMAIN_CREATION"]
        ),
        "app_env": current_app.config["APP_ENV"],
    }


def init_app(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_globals)

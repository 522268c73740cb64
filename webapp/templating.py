"""What every template can use."""

from urllib.parse import quote

from flask import current_app
from flask_login import current_user

from webapp.models import Role
from webapp.permissions import may_create_domains


def _globals():
    return {
        "Role": Role,
        "can_create_domains": may_create_domains(
            current_user, current_app.config["DOMAIN_CREATION"]
        ),
        "app_env": current_app.config["APP_ENV"],
    }


def url_segment(value) -> str:
    """One path segment quoted exactly as url_for quotes a string argument, for pages that build
    many URLs from a prefix computed once (url_for costs more than the rest of a table row)."""
    return quote(str(value), safe=_SEGMENT_SAFE)


# werkzeug.routing.BaseConverter.to_url's safe characters (the URL standard's path segment).
_SEGMENT_SAFE = "!$&'()*+,/:;=@"


def init_app(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["url_segment"] = url_segment
    app.context_processor(_globals)

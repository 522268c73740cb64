"""REQUIRE_2FA: an account it names, logged in with a password and with no second factor yet,
is sent to the enrolment page from every other page until it has one.

Only sessions that began with this application's password are held: a single sign-on leaves
the second factor to its provider. Redirects follow the htmx conventions (webapp/htmx.py): an
htmx request gets HX-Redirect, which static/app.js and htmx follow as a page load.
"""

from flask import current_app, request, url_for
from flask_login import current_user

from webapp.htmx import redirect_to
from webapp.services import sessions, two_factor

# The enrolment page, logging out, the language of the page, the health check, static files.
ALLOWED = {"two_factor.manage", "auth.logout", "main.language", "main.healthz", "static"}


def _enrolment_first():
    if current_app.config["REQUIRE_2FA"] == "off":
        return None
    if request.endpoint is None or request.endpoint in ALLOWED:
        return None
    if not current_user.is_authenticated or current_user.has_two_factor:
        return None
    if not two_factor.required_for(current_user) or not sessions.began_with_password():
        return None
    return redirect_to(url_for("two_factor.manage"))


def init_app(app) -> None:
    app.before_request(_enrolment_first)

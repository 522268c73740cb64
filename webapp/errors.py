"""Error pages in the site's layout, as full pages or as htmx fragments."""

import logging

from flask import current_app, flash, redirect, render_template, request
from flask import session as cookie_session
from flask_login import current_user, login_url, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db
from webapp.htmx import is_htmx

log = logging.getLogger(__name__)

SESSION_ENDED = "Your session ended: log in again."
LOG_IN = "Log in to see this page."

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role on this domain does not allow this action."),
    404: ("Not found", "This page does not exist, or you have no access to it."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    422: ("Check the form", "Some values are not valid; correct them and send again."),
    429: ("Too many requests", "Wait a moment and try again."),
    500: (
        "Something went wrong",
        "The server hit an unexpected error. Nothing you sent was half-saved; try again, and "
        "tell the platform's staff if it keeps happening.",
    ),
}


def _render(status: int, title: str | None = None, text: str | None = None):
    default_title, default_text = MESSAGES.get(status, ("Error", "The request failed."))
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    body = render_template(
        template, status=status, title=title or default_title, text=text or default_text
    )
    return body, status


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return _render(error.code)


def handle_unauthorized():
    """A page that needs a login, asked for without a live session.

    An htmx request (a poll, an address suggestion, a form posted in place) gets a 401 that
    static/app.js turns into a full navigation to the login page, with this page as `next=`:
    swapping the login page into a list would leave the person with a broken page. The message
    waits in the flashes for the login page.
    """
    ended = bool(cookie_session.get("_user_id")) or is_htmx()
    if cookie_session.get("_user_id"):
        logout_user()  # the session was ended elsewhere: forget it here too, and its cookie
    message = SESSION_ENDED if ended else LOG_IN
    if message not in _waiting_messages():  # several polls may end at once: say it once
        flash(message, "info")
    if is_htmx():
        response = current_app.response_class(message, 401, mimetype="text/plain")
        response.headers["X-Login-URL"] = login_url("auth.login")
        return response
    return redirect(login_url("auth.login", next_url=request.url))


def _waiting_messages() -> list[str]:
    return [message for _category, message in cookie_session.get("_flashes", [])]


def _needs_login() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and getattr(view, "access", "public") != "public"


def handle_csrf_error(error: CSRFError):
    if _needs_login() and not current_user.is_authenticated:
        # Not an expired form: the session that the form belonged to has ended.
        return handle_unauthorized()
    return _render(
        400,
        "The form has expired",
        "For your security the form could not be accepted (its security token is missing or "
        "out of date). Go back, reload the page and send it again.",
    )


def handle_server_error(error: InternalServerError):
    db.session.rollback()
    return _render(500)


def init_app(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(HTTPException, handle_http_error)

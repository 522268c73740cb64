"""Error pages in the site's layout, as full pages or as htmx fragments."""

import logging

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db
from webapp.htmx import is_htmx

log = logging.getLogger(__name__)

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


def handle_csrf_error(error: CSRFError):
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

"""Error pages in the site's layout, as full pages or as htmx fragments."""

import logging

from flask import (
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
)
from flask import session as cookie_session
from flask.globals import request_ctx
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_url, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import db
from webapp.htmx import is_htmx
from webapp.wordings import N_

log = logging.getLogger(__name__)

SESSION_ENDED = N_("Your session ended: log in again.")
LOG_IN = N_("Log in to see this page.")

# Marked here, translated when shown (in the reader's language).
MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be understood.")),
    403: (N_("Not allowed"), N_("Your role on this domain does not allow this action.")),
    404: (N_("Not found"), N_("This page does not exist, or you have no access to it.")),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    413: (N_("Too large"), N_("What you sent is larger than this site accepts.")),
    422: (N_("Check the form"), N_("Some values are not valid; correct them and send again.")),
    429: (N_("Too many requests"), N_("Wait a moment and try again.")),
    500: (
        N_("Something went wrong"),
        N_(
            "The server hit an unexpected error. Nothing you sent was half-saved; try again, and "
            "tell the platform's staff if it keeps happening."
        ),
    ),
}


def _render(status: int, title: str | None = None, text: str | None = None):
    default_title, default_text = MESSAGES.get(status, (N_("Error"), N_("The request failed.")))
    title, text = title or _(default_title), text or _(default_text)
    if not has_request_context() or request_ctx.url_adapter is None:
        # No URL can be built (a Host header that is not a host name stops Flask before it
        # makes its URL adapter): the site's layout would fail on its first url_for.
        return _bare_page(status, title, text), status
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    try:
        body = render_template(template, status=status, title=title, text=text)
    except Exception:
        # The error page is the last answer there is: if the layout itself fails (the database
        # gone while it reads the current user, say), a bare page rather than no page at all.
        log.exception("the error page %s could not be rendered", status)
        return _bare_page(status, title, text), status
    return body, status


def _bare_page(status: int, title: str, text: str) -> str:
    """The error page without the layout: no URL to build, no template, no database."""
    home = (request.script_root if has_request_context() else "") + "/"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><main><p>{escape(_('Error %(status)s', status=status))}</p>"
        f"<h1>{escape(title)}</h1>"
        f'<p>{escape(text)}</p><p><a href="{escape(home)}">{escape(_("Back to your domains"))}'
        "</a></p></main>"
        "</body></html>"
    )


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code == 413:
        return _answer_too_large()
    return _render(error.code)


def _answer_too_large():
    """A page whose view says it answers a request too large to read (a file upload) shows
    its own form again, with the message next to the field; the others, the error page."""
    view = current_app.view_functions.get(request.endpoint or "") if has_request_context() else None
    if view is None or not getattr(view, "answers_too_large", False):
        return _render(413, text=too_large())
    g.too_large = True
    try:
        return view(**(request.view_args or {}))  # through its guard, like any request
    except HTTPException as exc:
        return _render(exc.code or 400)


def too_large() -> str:
    config = current_app.config

    def size(key: str) -> str:
        megabytes = round((config.get(key) or 0) / 1024 / 1024, 1)
        return _("%(size)s MB", size=format_decimal(megabytes))

    return _(
        "What you sent is larger than this site accepts: %(total)s in all, and %(text)s of "
        "typed text. Send a smaller file, or split it.",
        total=size("MAX_CONTENT_LENGTH"),
        text=size("MAX_FORM_MEMORY_SIZE"),
    )


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
    message = _(SESSION_ENDED if ended else LOG_IN)
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
        _("The form has expired"),
        _(
            "For your security the form could not be accepted (its security token is missing or "
            "out of date). Go back, reload the page and send it again."
        ),
    )


def handle_server_error(error: InternalServerError):
    db.session.rollback()
    return _render(500)


def init_app(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(HTTPException, handle_http_error)

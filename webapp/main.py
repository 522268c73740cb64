"""Pages outside any domain: the home redirect and the health check."""

import logging

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.auth.views import safe_next
from webapp.extensions import db
from webapp.permissions import public
from webapp.services import preferences

bp = Blueprint("main", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("domains.index"))
    return redirect(url_for("auth.login"))


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: the database does not answer")
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain"}
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}


@bp.post("/language")
@public
def language():
    """The header's switch (a plain form: no JavaScript needed), back to the page it was on."""
    preferences.choose_language(current_user, request.form.get("locale"))
    return redirect(safe_next(request.form.get("next")), code=303)

"""The person's own account: the sessions they have open, and ending any of them."""

from flask import Blueprint, flash, url_for
from flask_login import current_user

from webapp.htmx import redirect_to, render
from webapp.permissions import authenticated
from webapp.services import sessions

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/sessions")
@authenticated
def sessions_page():
    return render(
        "account/sessions.html",
        records=sessions.live_sessions(current_user),
        current_id=sessions.current_record_id(),
    )


@bp.post("/sessions/<int:session_id>/end")
@authenticated
def end_session(session_id):
    result = sessions.end(current_user, session_id)
    flash(result.message, result.category if result.ok else "error")
    if not current_user.is_authenticated:  # this browser's own session was the one ended
        return redirect_to(url_for("auth.login"))
    return redirect_to(url_for("account.sessions_page"))

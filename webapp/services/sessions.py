"""Login sessions kept on the server: one record per login, ended by logging out, by a change
of password, by a deactivation, or by the person from their sessions page.

The session cookie (and the "remember me" cookie, which Flask-Login fills from the same value)
carries a random token; the database keeps only its SHA-256, so that reading the table does not
give anyone a working cookie. A request is logged in only while its record is live.
"""

import functools
from datetime import timedelta

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.models import SessionRecord, User
from webapp.models.base import utcnow
from webapp.models.invitation import hash_token, new_token
from webapp.services.results import Result
from webapp.wordings import N_

# last_seen_at is written at most this often, not on every request.
LAST_SEEN_EVERY = timedelta(minutes=1)
# Ended and expired records are kept this long for nobody's benefit, then deleted.
KEEP_DEAD_RECORDS = timedelta(days=30)
ALREADY_ENDED = N_("This session has already ended.")


@functools.cache
def _live_record_query():
    # Built once: every request of a logged-in person runs it.
    return (
        db.select(User, SessionRecord.id, SessionRecord.last_seen_at, SessionRecord.by_password)
        .join(SessionRecord, SessionRecord.user_id == User.id)
        .where(
            SessionRecord.token_hash == db.bindparam("token_hash"),
            SessionRecord.revoked_at.is_(None),
            SessionRecord.expires_at > db.bindparam("now"),
        )
    )


def load_user(token) -> User | None:
    """Flask-Login's user loader: the account of a live session record, or nobody."""
    if not isinstance(token, str) or not token:
        return None
    now = utcnow()
    row = db.session.execute(
        _live_record_query(), {"token_hash": hash_token(token), "now": now}
    ).first()
    if row is None or not row[0].is_active:
        return None
    user, record_id, last_seen_at, by_password = row
    user.session_token = token
    g.session_record_id = record_id
    g.session_by_password = by_password
    if now - last_seen_at >= LAST_SEEN_EVERY:
        g.session_seen_due = record_id
    return user


def device_of(user_agent: str) -> str:
    """A short name for the browser and system: "Firefox on Windows"."""
    from ua_parser import parse  # builds its matchers on first use: only logins pay for it

    found = parse((user_agent or "")[:1000])
    browser = found.user_agent.family if found.user_agent else ""
    system = found.os.family if found.os else ""
    if browser and system:
        return f"{browser} on {system}"[:120]
    return (browser or system or "Unknown device")[:120]


def _lifetime(remember: bool) -> timedelta:
    if remember:
        return current_app.config["REMEMBER_COOKIE_DURATION"]
    # A session cookie's signature is accepted this long (Flask checks it): so is its record.
    return current_app.permanent_session_lifetime


def log_in(user: User, *, remember: bool = False, by_password: bool = True) -> SessionRecord:
    """Start a session for `user` on this browser, with its record in the database.

    `by_password`: the session begins with this application's password check, so the second
    factor REQUIRE_2FA asks for applies to it; a single sign-on passes False, its provider
    being the one to ask for a second factor."""
    token, token_hash = new_token()
    now = utcnow()
    previous = session.get("_user_id")
    if isinstance(previous, str):
        # Logging in again on this browser: the session it replaces ends, rather than linger
        # on the sessions page with no cookie left to use it.
        db.session.execute(_revoke().where(SessionRecord.token_hash == hash_token(previous)))
    record = SessionRecord(
        token_hash=token_hash,
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(remember),
        remember=remember,
        device=device_of(request.user_agent.string),
        address=(request.remote_addr or "")[:64],
        by_password=by_password,
    )
    db.session.add(record)
    # This person's long-dead records go, so that the table grows with people, not logins.
    db.session.execute(
        db.delete(SessionRecord).where(
            SessionRecord.user_id == user.id,
            db.or_(
                SessionRecord.revoked_at < now - KEEP_DEAD_RECORDS,
                SessionRecord.expires_at < now - KEEP_DEAD_RECORDS,
            ),
        )
    )
    db.session.commit()
    user.session_token = token
    g.session_record_id = record.id
    g.session_by_password = by_password
    login_user(user, remember=remember)
    return record


def began_with_password() -> bool:
    """This request's session began with a password (not a single sign-on)."""
    if not current_user.is_authenticated:
        return False
    return bool(g.get("session_by_password", True))


def current_record_id() -> int | None:
    """The record of this request's session (None when nobody is logged in)."""
    if not current_user.is_authenticated:  # loads the user, and so the record, if not yet done
        return None
    return g.get("session_record_id")


def log_out() -> None:
    """End this browser's session on the server, then forget it in the cookies."""
    record_id = current_record_id()
    if record_id is not None:
        db.session.execute(_revoke().where(SessionRecord.id == record_id))
        db.session.commit()
    logout_user()


def _revoke():
    return (
        db.update(SessionRecord)
        .where(SessionRecord.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def end_all(user: User, *, keep: int | None = None) -> None:
    """End every session of `user`, but `keep` (a record id). The caller commits, in the same
    transaction as the change that ends them (a new password, a deactivation)."""
    statement = _revoke().where(SessionRecord.user_id == user.id)
    if keep is not None:
        statement = statement.where(SessionRecord.id != keep)
    db.session.execute(statement)


def end_others(user: User) -> None:
    """End every session of `user` but this request's; the caller commits."""
    end_all(user, keep=current_record_id())


def live_sessions(user: User) -> list[SessionRecord]:
    return list(
        db.session.scalars(
            db.select(SessionRecord)
            .where(
                SessionRecord.user_id == user.id,
                SessionRecord.revoked_at.is_(None),
                SessionRecord.expires_at > utcnow(),
            )
            .order_by(SessionRecord.last_seen_at.desc(), SessionRecord.id.desc())
        )
    )


def end(user: User, record_id: int) -> Result:
    """The person ends one of their own sessions; ending this one logs them out."""
    if not 0 < record_id < 2**63:  # no such record, and no integer the database can compare
        return Result.failure(_(ALREADY_ENDED))
    current = current_record_id()
    ended = db.session.execute(
        _revoke().where(SessionRecord.user_id == user.id, SessionRecord.id == record_id)
    ).rowcount
    db.session.commit()
    if not ended:
        return Result.failure(_(ALREADY_ENDED))
    if record_id == current:
        logout_user()
        return Result.success(None, _("This session has ended: you are logged out."))
    return Result.success(None, _("That session has ended: whoever used it is logged out."))


def _note_last_seen(response):
    record_id = g.pop("session_seen_due", None)
    if record_id is None:
        return response
    try:
        db.session.execute(
            db.update(SessionRecord)
            .where(SessionRecord.id == record_id, SessionRecord.revoked_at.is_(None))
            .values(last_seen_at=utcnow(), address=(request.remote_addr or "")[:64])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except SQLAlchemyError:
        # A "last seen" a minute late is better than a failed page.
        db.session.rollback()
    return response


def init_app(app) -> None:
    app.after_request(_note_last_seen)

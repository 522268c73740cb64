"""A login in two steps: the password, then the second factor.

The right password alone logs nobody in: it leaves in the (signed) session cookie a short-lived
note of who passed it, their "remember me" choice and where they were going; the code step
reads it back and only then calls `sessions.log_in`. The note expires after a few minutes,
and is forgotten once used.
"""

import time

from flask import session

from webapp.extensions import db
from webapp.models import User
from webapp.services import sessions

KEY = "login_second_step"
LIFETIME_SECONDS = 5 * 60


class Pending:
    def __init__(self, user: User, remember: bool, next_url: str):
        self.user = user
        self.remember = remember
        self.next_url = next_url


def begin(user: User, *, remember: bool, next_url: str) -> None:
    session[KEY] = {
        "user": user.id,
        "remember": bool(remember),
        "next": next_url,
        "until": int(time.time()) + LIFETIME_SECONDS,
    }


def state() -> tuple[Pending | None, str]:
    """The login waiting for its code, or None and the `next` it had (to keep it when the
    person is sent back to the password)."""
    note = session.get(KEY)
    if not isinstance(note, dict):
        return None, ""
    next_url = note.get("next") if isinstance(note.get("next"), str) else ""
    if not isinstance(note.get("until"), int) or note["until"] <= time.time():
        session.pop(KEY, None)
        return None, next_url
    user = db.session.get(User, note.get("user")) if isinstance(note.get("user"), int) else None
    if user is None or not user.is_active or not user.has_two_factor:
        session.pop(KEY, None)
        return None, next_url
    return Pending(user, bool(note.get("remember")), next_url), next_url


def waiting() -> bool:
    """A note is there, live or not (the code page tells "too late" from "log in first")."""
    return KEY in session


def finish(pending: Pending) -> None:
    """The code was right: the note goes, the session begins."""
    session.pop(KEY, None)
    sessions.log_in(pending.user, remember=pending.remember)

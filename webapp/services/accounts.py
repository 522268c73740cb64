"""Accounts: creating users, logging in with a throttle, changing passwords."""

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import LoginThrottle, User
from webapp.models.base import utcnow
from webapp.models.user import normalise_email
from webapp.services.results import Result

MIN_PASSWORD_LENGTH = 10
BAD_CREDENTIALS = "The email or the password is not right."


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def password_problem(password: str) -> str | None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    return None


def create_user(email: str, password: str, *, name: str = "", superuser: bool = False) -> Result:
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        return Result.failure(email="An account with this email already exists.")
    problem = password_problem(password)
    if problem:
        return Result.failure(password=problem)
    user = User(email=email, name=name.strip(), is_superuser=superuser)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return Result.success(user)


def _throttle_for(email: str) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, email)


def _lockout_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed attempts for this email. For your security, wait "
        f"{minutes} {unit} before trying again, or ask for a password reset."
    )


def authenticate(email: str, password: str) -> Result:
    """Check credentials. The answer never says whether the email has an account."""
    email = normalise_email(email)
    now = utcnow()
    throttle = _throttle_for(email)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return Result.failure(_lockout_message((throttle.locked_until - now).total_seconds()))

    user = find_user_by_email(email)
    if user is None:
        User.burn_password_check(password)
        valid = False
    else:
        valid = user.check_password(password) and user.is_active

    if valid:
        if throttle is not None:
            db.session.delete(throttle)
            db.session.commit()
        return Result.success(user)

    _record_failure(email, throttle, now)
    return Result.failure(BAD_CREDENTIALS)


def _record_failure(email: str, throttle: LoginThrottle | None, now) -> None:
    window = timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"])
    if throttle is None:
        throttle = LoginThrottle(email=email, failures=0, window_started_at=now)
        db.session.add(throttle)
    elif now - throttle.window_started_at > window:
        throttle.failures = 0
        throttle.window_started_at = now
        throttle.locked_until = None
    throttle.failures += 1
    if throttle.failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        throttle.locked_until = now + window
    try:
        db.session.commit()
    except IntegrityError:
        # A parallel attempt for the same email created the row first: count on that one.
        db.session.rollback()
        _record_failure(email, _throttle_for(email), now)


def change_password(user: User, current: str, new: str) -> Result:
    if not user.check_password(current):
        return Result.failure(current_password="This is not your current password.")  # noqa: S106
    problem = password_problem(new)
    if problem:
        return Result.failure(new_password=problem)
    user.set_password(new)
    db.session.commit()
    return Result.success(user, "Your password was changed. Your other sessions were logged out.")

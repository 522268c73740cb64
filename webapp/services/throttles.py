"""Throttles on guessing: logins, their second factor, the current-password check, "forgot
password" requests.

Every attempt is counted *before* it is checked, by one statement (INSERT ... ON CONFLICT DO
UPDATE ... RETURNING, on SQLite and PostgreSQL alike): the database adds one and hands back the
new count, so parallel attempts can neither lose each other's counts nor all slip under the
limit; an attempt counted over the limit is refused without checking anything. The count is
committed at once, before the slow password check, so that every web worker sees it.

Logins are counted per typed email *and* client address, so that failures from one address
never refuse the right password from another (nobody can lock a victim out from afar), and
per address alone with a higher limit over a longer window (many accounts guessed from one
place). A success forgets the first count and gives its attempt back to the second. A password
set by a reset link or changed clears every count of the account.

Counts are kept for any typed email, account or not, so that a refusal says nothing about
which emails have one. Addresses come from `request.remote_addr`, made the real client's by
ProxyFix when `TRUSTED_PROXIES` is set; an IPv6 client is counted by its /64 network, since a
single machine usually holds all of one.
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import LoginThrottle
from webapp.models.base import utcnow
from webapp.models.user import normalise_email
from webapp.wordings import N_

_TABLE = LoginThrottle.__table__
_SUBJECT_LENGTH = _TABLE.c.subject.type.length


@dataclass(frozen=True)
class Rule:
    scope: str
    limit_setting: str  # at most this many attempts are checked...
    seconds_setting: str  # ...per window of this many seconds; the lock lasts as long
    per_email: bool
    per_address: bool
    refusal: str  # said instead of checking (translated), with %(wait)s ("12 minutes")


LOGIN = Rule(
    "login", "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_SECONDS", True, True,
    N_("Too many failed attempts for this email from your connection. For your security, wait "
       "%(wait)s before trying again, or ask for a password reset."),
)  # fmt: skip
LOGIN_ADDRESS = Rule(
    "login-address", "LOGIN_MAX_FAILURES_PER_ADDRESS", "LOGIN_ADDRESS_WINDOW_SECONDS",
    False, True,
    N_("Too many failed logins from your connection. For your security, wait %(wait)s before "
       "trying again."),
)  # fmt: skip
CURRENT_PASSWORD = Rule(
    "current-password", "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_SECONDS", True, True,
    N_("Too many wrong current passwords. For your security, wait %(wait)s before trying "
       "again."),
)  # fmt: skip
SECOND_FACTOR = Rule(
    "second-factor", "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_SECONDS", True, True,
    N_("Too many wrong codes. For your security, wait %(wait)s before trying again."),
)  # fmt: skip
FORGOT_EMAIL = Rule(
    "forgot", "FORGOT_MAX_PER_EMAIL", "FORGOT_WINDOW_SECONDS", True, False,
    N_("Links for this email were asked for too often. Wait %(wait)s before asking again: any "
       "link already sent still works."),
)  # fmt: skip
FORGOT_ADDRESS = Rule(
    "forgot-address", "FORGOT_MAX_PER_ADDRESS", "FORGOT_WINDOW_SECONDS", False, True,
    N_("Too many links were asked for from your connection. Wait %(wait)s before asking "
       "again."),
)  # fmt: skip


def network_of(address: str | None) -> str:
    """The counting key of a client address: IPv4 as is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"  # one shared count, rather than one per made-up value
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def _key(rule: Rule, email: str | None, address: str | None) -> dict:
    return {
        "scope": rule.scope,
        "subject": normalise_email(email)[:_SUBJECT_LENGTH] if rule.per_email else "",
        "address": network_of(address) if rule.per_address else "",
    }


def _upsert(key: dict, limit: int, window: timedelta):
    """Add one attempt; a count whose time is over starts again at 1. Reaching the limit
    restarts the clock, so a lock lasts a full window after the last attempt checked; attempts
    refused afterwards are counted but never make it longer."""
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    expired = _TABLE.c.expires_at <= now
    stmt = insert(_TABLE).values(**key, attempts=1, expires_at=now + window)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.scope, _TABLE.c.subject, _TABLE.c.address],
        set_={
            "attempts": sa.case((expired, 1), else_=_TABLE.c.attempts + 1),
            "expires_at": sa.case(
                (expired, now + window),
                (_TABLE.c.attempts + 1 == limit, now + window),
                else_=_TABLE.c.expires_at,
            ),
        },
    )
    row = db.session.execute(stmt.returning(_TABLE.c.attempts, _TABLE.c.expires_at)).one()
    return row.attempts, row.expires_at - now


def _wait(remaining: timedelta) -> str:
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def count(rule: Rule, email: str | None, address: str | None) -> str | None:
    """Count one attempt and commit; the refusal to show when it is over the limit, else None."""
    config = current_app.config
    limit = config[rule.limit_setting]
    attempts, remaining = _upsert(
        _key(rule, email, address), limit, timedelta(seconds=config[rule.seconds_setting])
    )
    db.session.commit()
    if attempts > limit:
        return _(rule.refusal, wait=_wait(remaining))
    return None


def _matching(key: dict):
    return sa.and_(*(getattr(_TABLE.c, name) == value for name, value in key.items()))


def login_refused(email: str, address: str | None) -> str | None:
    """Count a login attempt: the refusal to show instead of checking the password, or None."""
    return count(LOGIN, email, address) or count(LOGIN_ADDRESS, email, address)


def forget(rule: Rule, email: str | None, address: str | None) -> None:
    """The right password: this count's failures are forgotten. In the caller's transaction."""
    db.session.execute(sa.delete(_TABLE).where(_matching(_key(rule, email, address))))


def login_succeeded(email: str, address: str | None) -> None:
    """The right password: forget this email's failures from this address, and give the
    address its attempt back (the right password is no guess at another account)."""
    forget(LOGIN, email, address)
    db.session.execute(
        sa.update(_TABLE)
        .where(_matching(_key(LOGIN_ADDRESS, email, address)), _TABLE.c.attempts > 0)
        .values(attempts=_TABLE.c.attempts - 1)
    )
    db.session.commit()


def current_password_refused(email: str, address: str | None) -> str | None:
    return count(CURRENT_PASSWORD, email, address)


def second_factor_refused(email: str, address: str | None) -> str | None:
    """Count a code typed at the second step of a login (after the right password)."""
    return count(SECOND_FACTOR, email, address)


def forgot_refused(email: str, address: str | None) -> str | None:
    """Count a "forgot password" request, per address first (so that one address over its
    limit does not spend the emails' allowance), then per email (so that nobody floods a
    mailbox with links)."""
    return count(FORGOT_ADDRESS, email, address) or count(FORGOT_EMAIL, email, address)


def clear_account(email: str) -> None:
    """Forget every login and current-password count of the account, from every address: its
    password changed, so whatever was guessed at is gone. In the caller's transaction."""
    db.session.execute(
        sa.delete(_TABLE).where(
            _TABLE.c.scope.in_((LOGIN.scope, CURRENT_PASSWORD.scope)),
            _TABLE.c.subject == _key(LOGIN, email, None)["subject"],
        )
    )

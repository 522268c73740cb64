from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import utcnow


class LoginThrottle(db.Model):
    """One counter of attempts around logging in: logins, current-password checks, "forgot
    password" requests (`webapp/services/throttles.py` holds the rules).

    In the database rather than in memory or Redis, so that every web worker sees the same
    count and it keeps counting when Redis is down; updated by one statement per attempt, so
    that parallel attempts cannot lose each other's counts. `subject` is the typed email
    (normalised, whether or not an account has it, so that a refusal reveals nothing) or "";
    `address` is the client's address (an IPv6 client's /64 network) or "".
    """

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # When this count stops mattering: the end of its window, or of its lock once at the limit.
    expires_at: Mapped[datetime] = mapped_column(index=True)


def purge_expired() -> int:
    """Delete the counts whose time is over (they would start again at 1 anyway); committed."""
    table = LoginThrottle.__table__
    deleted = db.session.execute(sa.delete(table).where(table.c.expires_at <= utcnow()))
    db.session.commit()
    return deleted.rowcount

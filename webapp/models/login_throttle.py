from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class LoginThrottle(db.Model):
    """Failed logins per email address, whether or not an account has that address.

    Kept in the database rather than in memory so that every web worker sees the same count,
    and keyed by the typed address so that the lock-out itself does not reveal which emails
    have an account.
    """

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]

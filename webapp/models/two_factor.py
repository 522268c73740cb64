from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db


class RecoveryCode(db.Model):
    """One of the single-use codes that stand in for an authenticator app that is lost.

    Only a salted SHA-256 of each code is kept: the codes are random and long enough that a
    fast hash is no help to someone who reads the table. A used code keeps its row, marked, so
    that the person can see how many are left; regenerating replaces the whole set.
    """

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(sa.String(32))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]

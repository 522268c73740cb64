from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import utcnow


class SessionRecord(db.Model):
    """One login: the session cookie carries a random token, the database only its SHA-256.

    A request is logged in only while its record exists, is not revoked and has not expired, so
    that logging out, changing a password or deactivating an account ends sessions on the
    server, whatever copies of the cookie remain.
    """

    __tablename__ = "session_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    remember: Mapped[bool] = mapped_column(default=False)
    # What the person sees on their sessions page: "Firefox on Linux", the client's address.
    device: Mapped[str] = mapped_column(sa.String(120), default="")
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    revoked_at: Mapped[datetime | None]
    # Begun by this application's own password check (then its second factor applies), or
    # by a single sign-on whose provider asked for its own.
    by_password: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    user = relationship("User")

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.messages import Said
from webapp.models.base import utcnow
from webapp.models.types import MessageText


def new_token() -> tuple[str, str]:
    """A random token for a link, and the hash that is all the database keeps of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # The token carries 256 random bits: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256((token or "").encode()).hexdigest()


_PENDING = sa.text("accepted_at IS NULL AND cancelled_at IS NULL")


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        # One pending invitation per email and domain.
        sa.Index(
            "uq_invitations_pending",
            "domain_id",
            "email",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
        sa.CheckConstraint("role IN ('viewer', 'administrator', 'owner')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    email_error: Mapped[Said | None] = mapped_column(MessageText)
    # The inviter's language when inviting: the email's, unless the invitee has an account.
    locale: Mapped[str | None] = mapped_column(sa.String(8))

    domain = relationship("Domain")
    invited_by = relationship("User")

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.cancelled_at:
            return "cancelled"
        return "expired" if self.expired else "pending"


class PasswordToken(db.Model):
    """A single-use, expiring link to set a password: "forgot password", or a new account."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(20), default="reset")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The account's User.password_fingerprint when the link was made: a link is for replacing
    # that password, and stops working once the password has changed by any route.
    password_fingerprint: Mapped[str] = mapped_column(sa.String(64))

    user = relationship("User")

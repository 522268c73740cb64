from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import utcnow


class ExternalIdentity(db.Model):
    """An account's identity at an OpenID Provider: the provider's `sub` for that person, which
    never changes, unlike their email there. Signing in finds the account by (issuer, subject)."""

    __tablename__ = "external_identities"
    __table_args__ = (
        sa.UniqueConstraint("issuer", "subject"),
        # One identity per provider and account: a second one would be a second person.
        sa.UniqueConstraint("user_id", "issuer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(255))
    # The email the provider gave at the last sign-in, to tell staff who this identity is.
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.catalogue import lazy_gettext
from webapp.extensions import db
from webapp.messages import Said, say
from webapp.models.base import utcnow


class Role(enum.StrEnum):
    VIEWER = "viewer"
    ADMINISTRATOR = "administrator"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def label(self) -> str:
        return str(_ROLE_LABELS[self])

    @property
    def lazy_label(self):
        """The label translated when shown: for lists built once (form choices)."""
        return _ROLE_LABELS[self]

    @property
    def said(self) -> Said:
        """The role's name inside a message ("was invited as {role}")."""
        return say(f"role.{self.value}")

    def __ge__(self, other):  # type: ignore[override]
        return self.rank >= Role(other).rank

    def __gt__(self, other):  # type: ignore[override]
        return self.rank > Role(other).rank

    def __le__(self, other):  # type: ignore[override]
        return self.rank <= Role(other).rank

    def __lt__(self, other):  # type: ignore[override]
        return self.rank < Role(other).rank


_RANKS = {Role.VIEWER: 1, Role.ADMINISTRATOR: 2, Role.OWNER: 3}
# Lazy: read in the reader's language when shown.
_ROLE_LABELS = {
    Role.VIEWER: lazy_gettext("Viewer"),
    Role.ADMINISTRATOR: lazy_gettext("Administrator"),
    Role.OWNER: lazy_gettext("Owner"),
}


class DomainAccess(db.Model):
    """The role one user holds on one domain (a Role)."""

    __tablename__ = "domain_accesses"
    __table_args__ = (
        sa.UniqueConstraint("domain_id", "user_id", name="uq_domain_accesses_domain_user"),
        sa.CheckConstraint("role IN ('viewer', 'administrator', 'owner')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    domain = relationship("Domain", back_populates="accesses")
    user = relationship("User", back_populates="accesses")

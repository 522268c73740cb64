import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.catalogue import lazy_pgettext
from webapp.extensions import db
from webapp.messages import Said
from webapp.models.base import utcnow
from webapp.models.types import MessageText

DEVNULL = "devnull@devnull"


class AliasStatus(enum.StrEnum):
    PENDING = "pending"  # recorded here, not yet in dimail
    ENABLED = "enabled"
    FAILED = "failed"
    DELETING = "deleting"  # removal asked; dimail not yet told

    @property
    def label(self) -> str:
        return str(_ALIAS_LABELS[self])

    @property
    def lazy_label(self):
        """The label translated when shown: for lists built once (form choices)."""
        return _ALIAS_LABELS[self]


_ALIAS_LABELS = {
    AliasStatus.PENDING: lazy_pgettext("alias status", "Pending"),
    AliasStatus.ENABLED: lazy_pgettext("alias status", "Enabled"),
    AliasStatus.FAILED: lazy_pgettext("alias status", "Failed"),
    AliasStatus.DELETING: lazy_pgettext("alias status", "Being removed"),
}


class Alias(db.Model):
    """One destination of an alias: an alias is every row sharing a domain and a local part."""

    __tablename__ = "aliases"
    __table_args__ = (
        sa.UniqueConstraint(
            "domain_id", "local_part", "destination", name="uq_aliases_domain_pair"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    local_part: Mapped[str] = mapped_column(sa.String(64))
    destination: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(20), default=AliasStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dimail_created_at: Mapped[datetime | None]
    # Set (committed) before the first creation call: from then on dimail may have the pair
    # even if no answer says so, and removing it needs a delete in dimail (a tombstone).
    dimail_attempted_at: Mapped[datetime | None]
    sync_requested_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[Said | None] = mapped_column(MessageText)

    domain = relationship("Domain")

    @property
    def status_enum(self) -> AliasStatus:
        return AliasStatus(self.status)

    @property
    def syncing(self) -> bool:
        return self.sync_requested_at is not None


def owed_clause():
    """SQL true where dimail may lack this destination or still have a removed one."""
    return Alias.__table__.c.status.in_(("pending", "deleting"))


sa.Index(
    "ix_aliases_owed",
    Alias.__table__.c.domain_id,
    sqlite_where=owed_clause(),
    postgresql_where=owed_clause(),
)


class AliasCount(db.Model):
    """How many aliases (distinct local parts) a domain has, kept by database triggers (see the
    migration c9d0e1f2a3b4) on every insert, delete and change of an alias row, whoever writes
    it: the domain list and the alias list read one row here instead of counting thousands."""

    __tablename__ = "alias_counts"

    domain_id: Mapped[int] = mapped_column(
        sa.ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True
    )
    names: Mapped[int] = mapped_column(default=0)

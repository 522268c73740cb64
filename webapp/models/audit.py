from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.messages import Said
from webapp.models.base import utcnow
from webapp.models.types import MessageText


class AuditEntry(db.Model):
    """One change, as the domain's administrators read it: who did what, when, to what.

    Written by the services and jobs in the same transaction as the change itself, so the log
    cannot say something happened that did not, nor miss something that did. Never holds a
    password or a token.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        # The log's order, newest first, read backwards: (created_at, id) is total.
        sa.Index("ix_audit_entries_domain_created", "domain_id", "created_at", "id"),
        sa.Index("ix_audit_entries_domain_kind", "domain_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int | None] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    # None when the platform did it (a job, the cron); the label survives the account.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(40))
    target: Mapped[str] = mapped_column(sa.String(300), default="")
    message: Mapped[Said] = mapped_column(MessageText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditCount(db.Model):
    """How many entries a domain's log has of each kind, kept by database triggers (see the
    migration c9d0e1f2a3b4) on insert and delete: the log's pages read a few rows here instead
    of counting every entry of the domain."""

    __tablename__ = "audit_counts"

    domain_id: Mapped[int] = mapped_column(
        sa.ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

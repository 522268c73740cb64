import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import utcnow


class MailboxStatus(enum.StrEnum):
    PENDING = "pending"  # recorded here, not yet in dimail
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILED = "failed"  # dimail refused it: the reason is kept, retry offered

    @property
    def label(self) -> str:
        return self.value.capitalize()


def name_key(first_name: str, last_name: str) -> str:
    """First + last name as compared for uniqueness: case and surrounding spaces ignored."""
    return f"{(first_name or '').strip()} {(last_name or '').strip()}".casefold()


class Mailbox(db.Model):
    __tablename__ = "mailboxes"
    __table_args__ = (
        sa.UniqueConstraint("domain_id", "local_part", name="uq_mailboxes_domain_local_part"),
        # The webmail's display name must be unique in a domain.
        sa.UniqueConstraint("domain_id", "name_key", name="uq_mailboxes_domain_name_key"),
        sa.Index("ix_mailboxes_domain_status", "domain_id", "status"),
        sa.Index("ix_mailboxes_domain_last_name", "domain_id", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    local_part: Mapped[str] = mapped_column(sa.String(64))
    first_name: Mapped[str] = mapped_column(sa.String(200))
    last_name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(401))
    # Where the confirmation goes; unknown for mailboxes imported from dimail.
    secondary_email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(20), default=MailboxStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # What the user wants, and what dimail has: a sync job makes the second match the first.
    enabled_wanted: Mapped[bool] = mapped_column(default=True)
    dimail_created_at: Mapped[datetime | None]
    dimail_enabled: Mapped[bool | None]
    names_synced: Mapped[bool] = mapped_column(default=False)
    sync_requested_at: Mapped[datetime | None] = mapped_column(index=True)
    # dimail's words when it refused, or why it could not be reached.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    confirmation_sent_at: Mapped[datetime | None]
    # Why the last email to the secondary address did not leave (SMTP down...).
    email_error: Mapped[str | None] = mapped_column(sa.Text)
    # Shown once after an action: "password reset sent", "not supported by this dimail"...
    notice: Mapped[str | None] = mapped_column(sa.Text)

    domain = relationship("Domain")

    @property
    def address(self) -> str:
        return f"{self.local_part}@{self.domain.name}"

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def status_enum(self) -> MailboxStatus:
        return MailboxStatus(self.status)

    @property
    def syncing(self) -> bool:
        return self.sync_requested_at is not None

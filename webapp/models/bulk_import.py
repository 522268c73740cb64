"""An import from a spreadsheet: its preview, kept until it is confirmed or expires, and then
its result, row by row (what was created, skipped, refused, and why)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import utcnow

# An abandoned preview is purged after this (the periodic tick); a confirmed import is kept as
# long as its domain, for its result file.
PREVIEW_LIFETIME = timedelta(hours=24)
KINDS = ("mailboxes", "aliases")


class RowOutcome:
    CREATE = "create"  # preview: will be created
    EXISTS = "exists"  # already there: skipped
    ERROR = "error"  # refused, with its errors by column
    CREATED = "created"  # confirmed and created
    CONFLICT = "conflict"  # would have been created, but something took its place meanwhile


class BulkImport(db.Model):
    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
    # How many rows had each outcome ({"create": 9998, "error": 2}), kept with the rows.
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    domain = relationship("Domain")

    @property
    def expired(self) -> bool:
        return self.confirmed_at is None and self.expires_at <= utcnow()


class ImportRow(db.Model):
    __tablename__ = "import_rows"
    __table_args__ = (sa.Index("ix_import_rows_import_line", "import_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int]
    # The cells as read from the file, by column name: confirming checks them again.
    cells: Mapped[dict] = mapped_column(sa.JSON)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    # Why the row is refused or was skipped, by column ("" for the row as a whole), in the
    # words and language of the person who uploaded it: a preview is theirs, and short-lived.
    errors: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    mailbox_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mailboxes.id", ondelete="SET NULL")
    )
    alias_id: Mapped[int | None] = mapped_column(sa.ForeignKey("aliases.id", ondelete="SET NULL"))


def new_expiry() -> datetime:
    return utcnow() + PREVIEW_LIFETIME


def purge_expired() -> int:
    """Delete the previews nobody confirmed in time, with their rows; committed."""
    imports = BulkImport.__table__
    deleted = db.session.execute(  # its rows go by the foreign key's ON DELETE CASCADE
        sa.delete(imports).where(imports.c.confirmed_at.is_(None), imports.c.expires_at <= utcnow())
    )
    db.session.commit()
    return deleted.rowcount

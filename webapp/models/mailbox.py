import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import text
from webapp.catalogue import lazy_pgettext
from webapp.extensions import db
from webapp.messages import Said
from webapp.models.base import utcnow
from webapp.models.types import MessageText


class MailboxStatus(enum.StrEnum):
    PENDING = "pending"  # recorded here, not yet in dimail
    ENABLED = "enabled"
    DISABLED = "disabled"
    FAILED = "failed"  # dimail refused it: the reason is kept, retry offered

    @property
    def label(self) -> str:
        return str(_MAILBOX_LABELS[self])

    @property
    def lazy_label(self):
        """The label translated when shown: for lists built once (form choices)."""
        return _MAILBOX_LABELS[self]


# Lazy: read in the reader's language when shown (a mailbox, "boîte", is feminine in French).
_MAILBOX_LABELS = {
    MailboxStatus.PENDING: lazy_pgettext("mailbox status", "Pending"),
    MailboxStatus.ENABLED: lazy_pgettext("mailbox status", "Enabled"),
    MailboxStatus.DISABLED: lazy_pgettext("mailbox status", "Disabled"),
    MailboxStatus.FAILED: lazy_pgettext("mailbox status", "Failed"),
}


def name_key(first_name: str, last_name: str) -> str:
    """The display name ("first last") as compared for uniqueness: its UTS #39 skeleton, so
    that names which look the same are the same (a Cyrillic о and a Latin o, NFD and NFC
    accents, any case). Stored as the skeleton's SHA-256: NFKC and the skeleton can make a
    name many times longer (one ﷽ is 18 letters), and the key must fit its column and index."""
    shown = f"{(first_name or '').strip()} {(last_name or '').strip()}"
    return hashlib.sha256(text.skeleton(shown).encode()).hexdigest()


# Between the parts of the search key: no part can hold it (local parts, names and email
# addresses are validated), so a search term never matches across two parts.
SEARCH_KEY_SEPARATOR = "\n"


def search_key(
    local_part: str | None, first_name: str | None, last_name: str | None,
    secondary_email: str | None,
) -> str:  # fmt: skip
    """What the list's search looks into: the address, the names and the secondary email, in one
    folded string (webapp.text.fold), so that a search is one LIKE over one indexed column
    instead of four (some through lower()) over the rows."""
    names = f"{(first_name or '').strip()} {(last_name or '').strip()}"
    parts = (local_part or "", names, secondary_email or "")
    return SEARCH_KEY_SEPARATOR.join(text.fold(part) for part in parts)


def _search_key_default(context) -> str:
    """The column default: every INSERT computes the key, ORM objects and bulk inserts alike."""
    row = context.get_current_parameters()
    return search_key(
        row.get("local_part"), row.get("first_name"), row.get("last_name"),
        row.get("secondary_email"),
    )  # fmt: skip


# Between the last and the first name in the sort key: below every character a sort key holds
# (webapp.text.sort_key leaves no tab), so "Martin Zoé" comes before "Martinez Anne".
SORT_KEY_SEPARATOR = "\t"
SORT_KEY_LENGTH = 2 * text.SORT_KEY_LENGTH + len(SORT_KEY_SEPARATOR)
# Compared byte by byte on every database: SQLite's default (BINARY) does, PostgreSQL's
# collations would skip spaces and ignore case, so its column is declared "C".
SortKeyType = sa.String(SORT_KEY_LENGTH).with_variant(
    sa.String(SORT_KEY_LENGTH, collation="C"), "postgresql"
)


def sort_key(first_name: str | None, last_name: str | None) -> str:
    """What the list sorts by name: the last name, then the first, as a French reader orders
    them (webapp.text.sort_key: "Élise" with "Elise", "Œuvray" as "oeuvray")."""
    return f"{text.sort_key(last_name)}{SORT_KEY_SEPARATOR}{text.sort_key(first_name)}"


def _sort_key_default(context) -> str:
    row = context.get_current_parameters()
    return sort_key(row.get("first_name"), row.get("last_name"))


class Mailbox(db.Model):
    __tablename__ = "mailboxes"
    __table_args__ = (
        sa.UniqueConstraint("domain_id", "local_part", name="uq_mailboxes_domain_local_part"),
        # The webmail's display name must be unique in a domain.
        sa.UniqueConstraint("domain_id", "name_key", name="uq_mailboxes_domain_name_key"),
        sa.Index("ix_mailboxes_domain_status", "domain_id", "status"),
        # The list's default order (by name), read in either direction.
        sa.Index("ix_mailboxes_domain_sort_key", "domain_id", "sort_key", "id"),
        # A search reads this index only (the key and the row id), never the rows.
        sa.Index("ix_mailboxes_domain_search_key", "domain_id", "search_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(sa.ForeignKey("domains.id", ondelete="CASCADE"))
    local_part: Mapped[str] = mapped_column(sa.String(64))
    first_name: Mapped[str] = mapped_column(sa.String(200))
    last_name: Mapped[str] = mapped_column(sa.String(200))
    # name_key(first_name, last_name); a pair of lookalike names that existed before the keys
    # were skeletons keeps both rows, the newer one's key suffixed with its id (see the
    # migration e3f4a5b6c7d8), until its names are changed.
    name_key: Mapped[str] = mapped_column(sa.String(401))
    # Where the confirmation goes; unknown for mailboxes imported from dimail.
    secondary_email: Mapped[str | None] = mapped_column(sa.String(254))
    # search_key(local_part, first_name, last_name, secondary_email): set on insert by its
    # default and on update by the ORM event below (a bulk UPDATE of those columns must set it
    # too).
    search_key: Mapped[str] = mapped_column(sa.Text, default=_search_key_default, deferred=True)
    # sort_key(first_name, last_name), kept the same way.
    sort_key: Mapped[str] = mapped_column(SortKeyType, default=_sort_key_default, deferred=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=MailboxStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # What the user wants, and what dimail has: a sync job makes the second match the first.
    enabled_wanted: Mapped[bool] = mapped_column(default=True)
    dimail_created_at: Mapped[datetime | None]
    dimail_enabled: Mapped[bool | None]
    names_synced: Mapped[bool] = mapped_column(default=False)
    sync_requested_at: Mapped[datetime | None] = mapped_column(index=True)
    # Why dimail refused, or was out of reach (a message: webapp.messages).
    last_error: Mapped[Said | None] = mapped_column(MessageText)
    confirmation_sent_at: Mapped[datetime | None]
    # Why the last email to the secondary address did not leave (SMTP down...).
    email_error: Mapped[Said | None] = mapped_column(MessageText)
    # The confirmation met a permanent refusal (the address, or dimail): the reconciler leaves
    # it until a person asks to send it again.
    email_given_up_at: Mapped[datetime | None]
    # Shown once after an action: "password reset sent", "not supported by this dimail"...
    notice: Mapped[Said | None] = mapped_column(MessageText)
    # The language of whoever created it: its confirmation email's.
    locale: Mapped[str | None] = mapped_column(sa.String(8))

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


def owed_clause():
    """SQL true where dimail lacks something this row wants: the mailbox itself (still
    pending), its names, or its active flag (or that flag is not known: a run that may have
    changed it ended without recording what dimail has). On an enabled domain such a row is
    owed work, whatever caused the difference; `ix_mailboxes_owed` finds them without a scan."""
    c = Mailbox.__table__.c
    return sa.or_(
        sa.and_(c.dimail_created_at.is_(None), c.status == "pending"),
        sa.and_(
            c.dimail_created_at.is_not(None),
            sa.or_(
                c.names_synced == sa.false(),
                c.dimail_enabled.is_(None),
                c.dimail_enabled != c.enabled_wanted,
            ),
        ),
    )


sa.Index(
    "ix_mailboxes_owed",
    Mailbox.__table__.c.domain_id,
    sqlite_where=owed_clause(),
    postgresql_where=owed_clause(),
)


def unconfirmed_clause():
    """SQL true for a mailbox whose confirmation email is still to send: few rows at any time,
    which the reconciler finds each minute through `ix_mailboxes_unconfirmed` rather than by
    reading every mailbox of the database."""
    c = Mailbox.__table__.c
    return sa.and_(
        c.confirmation_sent_at.is_(None),
        c.email_given_up_at.is_(None),
        c.secondary_email.is_not(None),
    )


sa.Index(
    "ix_mailboxes_unconfirmed",
    Mailbox.__table__.c.dimail_created_at,
    sqlite_where=unconfirmed_clause(),
    postgresql_where=unconfirmed_clause(),
)

_SEARCHED = ("local_part", "first_name", "last_name", "secondary_email")
_SORTED = ("first_name", "last_name")


@sa.event.listens_for(Mailbox, "before_update")
def _refresh_keys(_mapper, _connection, mailbox: Mailbox) -> None:
    attrs = sa.inspect(mailbox).attrs
    # Set without reading the old values: the columns are deferred (the pages never show them).
    if any(attrs[name].history.has_changes() for name in _SEARCHED):
        mailbox.search_key = search_key(
            mailbox.local_part, mailbox.first_name, mailbox.last_name, mailbox.secondary_email
        )
    if any(attrs[name].history.has_changes() for name in _SORTED):
        mailbox.sort_key = sort_key(mailbox.first_name, mailbox.last_name)


class MailboxCount(db.Model):
    """How many mailboxes a domain has in each status, kept by database triggers (see the
    migration that creates this table) on every insert, delete and status change, whoever
    writes: the list pages read a few rows here instead of counting thousands."""

    __tablename__ = "mailbox_counts"

    domain_id: Mapped[int] = mapped_column(
        sa.ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

"""The mailbox list of a domain: one page, searched, filtered and sorted, and its counts by
status, in a fixed number of queries whatever the number of mailboxes."""

import functools
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy import func

from webapp.extensions import db
from webapp.messages import Said
from webapp.models import Domain, Mailbox, MailboxCount, MailboxStatus
from webapp.models.mailbox import SEARCH_KEY_SEPARATOR
from webapp.pagination import paginate_rows
from webapp.text import fold

SORTS = {
    # As a French reader orders names (see models.mailbox.sort_key), through its index.
    "name": (Mailbox.sort_key, Mailbox.id),
    "-name": (Mailbox.sort_key.desc(), Mailbox.id.desc()),
    "address": (Mailbox.local_part,),
    "-address": (Mailbox.local_part.desc(),),
    "status": (Mailbox.status, Mailbox.local_part),
    "-created": (Mailbox.created_at.desc(), Mailbox.id.desc()),
    "created": (Mailbox.created_at, Mailbox.id),
}


# A search matching at most this many mailboxes reads its matches through the search index,
# then sorts them; a broader one walks the list in its sort order and stops after one page.
SELECTIVE_SEARCH = 1000
# A search's matches are counted up to this many; beyond, the page says "more than". Counting
# every match of a broad search costs reading them all (49 ms for 100,000 on PostgreSQL, 12 ms
# up to 10,000: see bench/RESULTS.md), and no one pages through a thousand results: they
# search with more letters.
COUNTED_MATCHES = 1_000


def listing(domain: Domain, q: str = "", status: str = "", sort: str = "name", page: int = 1,
            per_page: int = 50, counts: dict[str, int] | None = None):  # fmt: skip
    """One page of a domain's mailboxes: a COUNT and a page query, whatever the total (a
    search's COUNT stops at COUNTED_MATCHES: the page then says "more than").

    `counts`, the domain's mailboxes by status (see counts(), which the list shows anyway), saves
    the COUNT when no search term narrows the list.
    """
    where = [Mailbox.domain_id == domain.id]
    by_status = status in set(MailboxStatus)
    if by_status:
        where.append(Mailbox.status == status)
    stmt = db.select(*Listed.COLUMNS).where(*where)
    total, at_least = None, False
    q = fold(q).strip()
    if q:
        at_domain = (f"@{domain.name}", fold(f"@{domain.unicode_name}"))
        needle = q.split("@", 1)[0] if q.endswith(at_domain) else q
        if SEARCH_KEY_SEPARATOR in needle:
            matches = sa.false()  # no field holds it: it could only match across two fields
        else:
            matches = Mailbox.search_key.contains(needle, autoescape=True)
        found = db.select(Mailbox.id).where(*where, matches)
        # One query gives the number of matches (up to COUNTED_MATCHES + 1) and, for a
        # selective search, their ids; a broader one then walks the list in its sort order.
        counted = found.limit(COUNTED_MATCHES + 1).subquery()
        rows = db.session.execute(
            db.select(counted.c.id, func.count().over()).limit(SELECTIVE_SEARCH + 1)
        ).all()
        total = rows[0][1] if rows else 0
        if total <= SELECTIVE_SEARCH:
            stmt = db.select(*Listed.COLUMNS).where(Mailbox.id.in_([row[0] for row in rows]))
        else:
            stmt = found.with_only_columns(*Listed.COLUMNS)
            if total > COUNTED_MATCHES:
                total, at_least = COUNTED_MATCHES, True
    elif counts is not None:
        total = counts.get(status, 0) if by_status else sum(counts.values())
    order = (*SORTS.get(sort, SORTS["name"]), Mailbox.id)
    # Deep pages by a deferred join only where the sort's index answers the filter alone: a
    # search's filter reads each row anyway, and the second lookup then made a page 1,000 of
    # a broad search slower (bench/RESULTS.md).
    key = None if q else Mailbox.id
    result = paginate_rows(
        stmt, page, per_page, total=total, order=order, at_least=at_least, key=key
    )
    return replace(result, items=[Listed(*row) for row in result.items])


@dataclass(frozen=True, slots=True)
class Listed:
    """A row of the mailbox list: the columns it shows, read as plain values (building whole
    ORM objects for a page of rows costs more than the query)."""

    COLUMNS: ClassVar[tuple] = (
        Mailbox.id,
        Mailbox.local_part,
        Mailbox.first_name,
        Mailbox.last_name,
        Mailbox.status,
        Mailbox.sync_requested_at,
        Mailbox.last_error,
    )

    id: int
    local_part: str
    first_name: str
    last_name: str
    status: str
    sync_requested_at: datetime | None
    last_error: Said | None

    @property
    def syncing(self) -> bool:
        return self.sync_requested_at is not None

    @property
    def status_enum(self) -> MailboxStatus:
        return MailboxStatus(self.status)


def counts(domain: Domain) -> dict[str, int]:
    """The domain's mailboxes by status (kept by the database: see MailboxCount)."""
    rows = db.session.execute(_counts_query(), {"domain_id": domain.id}).all()
    return {status: n for status, n in rows}


@functools.cache
def _counts_query():
    # Built once: every mailbox page runs it, and building it cost as much as running it.
    return db.select(MailboxCount.status, MailboxCount.n).where(
        MailboxCount.domain_id == db.bindparam("domain_id"), MailboxCount.n > 0
    )

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


def listing(domain: Domain, q: str = "", status: str = "", sort: str = "name", page: int = 1,
            per_page: int = 50, counts: dict[str, int] | None = None):  # fmt: skip
    """One page of a domain's mailboxes: a COUNT and a page query, whatever the total.

    `counts`, the domain's mailboxes by status (see counts(), which the list shows anyway), saves
    the COUNT when no search term narrows the list.
    """
    where = [Mailbox.domain_id == domain.id]
    by_status = status in set(MailboxStatus)
    if by_status:
        where.append(Mailbox.status == status)
    stmt = db.select(*Listed.COLUMNS).where(*where)
    total = None
    q = fold(q).strip()
    if q:
        at_domain = (f"@{domain.name}", fold(f"@{domain.unicode_name}"))
        needle = q.split("@", 1)[0] if q.endswith(at_domain) else q
        if SEARCH_KEY_SEPARATOR in needle:
            matches = sa.false()  # no field holds it: it could only match across two fields
        else:
            matches = Mailbox.search_key.contains(needle, autoescape=True)
        found = db.select(Mailbox.id).where(*where, matches)
        # One pass over the search index gives the matches' ids, hence their number, unless
        # there are too many to carry around: then they are counted, and the list walked.
        ids = db.session.scalars(found.limit(SELECTIVE_SEARCH + 1)).all()
        if len(ids) <= SELECTIVE_SEARCH:
            total = len(ids)
            stmt = db.select(*Listed.COLUMNS).where(Mailbox.id.in_(ids))
        else:
            total = db.session.scalar(db.select(func.count()).select_from(found.subquery()))
            stmt = found.with_only_columns(*Listed.COLUMNS)
    elif counts is not None:
        total = counts.get(status, 0) if by_status else sum(counts.values())
    order = (*SORTS.get(sort, SORTS["name"]), Mailbox.id)
    result = paginate_rows(stmt, page, per_page, total=total, order=order)
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

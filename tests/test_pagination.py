"""Pages far into the mailbox list read their rows by a deferred join (pagination.DEFERRED_FROM):
the same rows, in the same order, as the plain OFFSET gives, forwards and from the end, for
every sort and filter; searches and the audit log keep the plain OFFSET, and show the same."""

import pytest
import sqlalchemy as sa

from tests.sql_statements import recorded
from webapp import audit, pagination
from webapp.audit_log.views import entries
from webapp.extensions import db
from webapp.messages import say
from webapp.models import AuditEntry, Mailbox
from webapp.services import mailbox_list

PER_PAGE = 2
NAMES = ("Ann Martin", "Bob Roe", "Ann Martin", "Zoé Abel", "Émile Martin", "Chloé Dubois")


@pytest.fixture
def filled(app, enabled):
    """23 mailboxes of acme.fr, names repeated so that ties are broken by id, one in three
    disabled; 23 log entries."""
    rows = []
    for i in range(23):
        first, last = NAMES[i % len(NAMES)].split()
        rows.append({"domain_id": enabled.id, "local_part": f"user{(i * 7) % 23:02}",
                     "first_name": first, "last_name": last, "name_key": f"{first} {last} {i}",
                     "status": "disabled" if i % 3 == 0 else "enabled"})  # fmt: skip
    db.session.execute(sa.insert(Mailbox), rows)
    for i in range(23):
        said = say("audit.mailbox_created", address=f"user{i:02}@acme.fr", first="A", last="B")
        audit.record(enabled, "mailbox.created", said, target=f"user{i:02}@acme.fr")
    db.session.commit()
    return enabled


def _every_page(read) -> list[list]:
    return [read(page) for page in range(1, 14)]


def _mailboxes(domain, **options):
    def read(page):
        found = mailbox_list.listing(domain, page=page, per_page=PER_PAGE, **options)
        return [row.local_part for row in found.items]

    return read


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"sort": "-name"},
        {"sort": "address"},
        {"sort": "status"},
        {"sort": "-created"},
        {"status": "disabled"},
        {"status": "disabled", "sort": "-name"},
    ],  # fmt: skip
    ids=lambda options: ",".join(f"{k}={v}" for k, v in options.items()) or "plain",
)
def test_deep_pages_show_the_rows_the_plain_offset_shows(filled, monkeypatch, options):
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 10**9)
    plain = _every_page(_mailboxes(filled, **options))
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 4)
    with recorded() as statements:
        deferred = _every_page(_mailboxes(filled, **options))
    assert deferred == plain
    assert any(page for page in plain[2:])  # pages past the first ones have rows
    assert any("mailboxes.id IN (SELECT mailboxes.id" in s for s in statements)


@pytest.mark.parametrize("q", ["martin", "user"])
def test_a_broad_search_keeps_the_plain_offset(filled, monkeypatch, q):
    monkeypatch.setattr(mailbox_list, "SELECTIVE_SEARCH", 3)  # it walks the list in its order
    monkeypatch.setattr(mailbox_list, "COUNTED_MATCHES", 5)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 4)
    with recorded() as statements:
        pages = _every_page(_mailboxes(filled, q=q))
    matching = db.session.scalars(
        db.select(Mailbox.local_part).where(Mailbox.search_key.contains(q))
    ).all()
    assert len(matching) > 5  # more than the counted ones
    assert set(sum(pages, [])) == set(matching)  # every one on some page
    assert not any("mailboxes.id IN (SELECT mailboxes.id" in s for s in statements)


def test_deep_pages_of_the_log_are_newest_first_without_a_gap(filled):
    pages = [[e.id for e in entries(filled, page=p, per_page=PER_PAGE).items] for p in range(1, 13)]
    shown = sum(pages, [])
    logged = db.session.scalars(db.select(AuditEntry.id).where(AuditEntry.domain_id == filled.id))
    assert shown == sorted(logged, reverse=True)

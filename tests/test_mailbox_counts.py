"""The counts the lists show (mailboxes by status, aliases, audit entries) are kept by the
database, whoever writes the rows."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from webapp import audit, create_app
from webapp.extensions import db
from webapp.messages import legacy
from webapp.models import Alias, AuditEntry, Domain, Mailbox, MailboxCount, MailboxStatus
from webapp.models.mailbox import name_key
from webapp.services import mailbox_list
from webapp.services.aliases import listing as alias_listing
from webapp.services.domains import counts as domain_counts


def counted_by_hand() -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        sa.select(Mailbox.domain_id, Mailbox.status, sa.func.count()).group_by(
            Mailbox.domain_id, Mailbox.status
        )
    ).all()
    return {(domain_id, status): n for domain_id, status, n in rows}


def kept() -> dict[tuple[int, str], int]:
    rows = db.session.execute(sa.select(MailboxCount).where(MailboxCount.n != 0)).scalars()
    return {(row.domain_id, row.status): row.n for row in rows}


def box(domain: Domain, i: int, status=MailboxStatus.PENDING) -> dict:
    return {
        "domain_id": domain.id,
        "local_part": f"user{i}",
        "first_name": "User",
        "last_name": str(i),
        "name_key": name_key("User", str(i)),
        "status": status.value,
    }


def test_counts_follow_inserts_status_changes_moves_and_deletes(app, make_domain):
    one, two = make_domain("one.fr"), make_domain("two.fr")
    db.session.add_all(Mailbox(**box(one, i)) for i in range(5))  # the ORM
    db.session.commit()
    db.session.execute(sa.insert(Mailbox), [box(two, i) for i in range(7)])  # in bulk
    db.session.commit()
    assert kept() == counted_by_hand() == {(one.id, "pending"): 5, (two.id, "pending"): 7}

    first = db.session.scalar(sa.select(Mailbox).where(Mailbox.domain_id == one.id).limit(1))
    first.status = MailboxStatus.ENABLED  # through the ORM
    db.session.commit()
    db.session.execute(  # a plain UPDATE, as the sync jobs write their outcome
        sa.update(Mailbox)
        .where(Mailbox.domain_id == two.id, Mailbox.local_part.in_(["user1", "user2"]))
        .values(status=MailboxStatus.FAILED)
    )
    db.session.execute(  # an update that leaves the status alone changes no count
        sa.update(Mailbox).where(Mailbox.domain_id == two.id).values(last_error=legacy("x"))
    )
    db.session.commit()
    assert kept() == counted_by_hand()
    assert mailbox_list.counts(one) == {"enabled": 1, "pending": 4}
    assert mailbox_list.counts(two) == {"failed": 2, "pending": 5}

    db.session.execute(
        sa.delete(Mailbox).where(Mailbox.domain_id == two.id, Mailbox.status == "failed")
    )
    db.session.commit()
    assert kept() == counted_by_hand()
    assert mailbox_list.counts(two) == {"pending": 5}  # a status with none left is not listed


def test_the_domain_list_and_page_read_the_kept_counts(
    app, client, make_user, make_domain, login_as
):
    owner = make_user("owner@example.org")
    domain = make_domain("acme.fr", owner=owner)
    db.session.execute(sa.insert(Mailbox), [box(domain, i) for i in range(3)])
    db.session.commit()
    login_as(owner)
    page = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert "3 mailboxes" in page and "3 pending" in page


def test_the_migration_counts_the_mailboxes_already_there(test_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'counts.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="3c5e1f0a9b27")  # the revision before the counts
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO domains (name, support_email, status, created_at, "
                                 "status_changed_at) VALUES ('old.fr', 's@old.fr', 'enabled', "
                                 "'2026-01-01', '2026-01-01')"))  # fmt: skip
            for i, status in enumerate(["enabled", "enabled", "pending"]):
                conn.execute(
                    sa.text(
                        "INSERT INTO mailboxes (domain_id, local_part, first_name, last_name, "
                        "name_key, search_key, status, created_at, enabled_wanted, names_synced) "
                        "VALUES (1, :lp, 'A', :lp, :lp, :lp, :status, '2026-01-01', 1, 1)"
                    ),
                    {"lp": f"user{i}", "status": status},
                )
        upgrade()
        assert kept() == {(1, "enabled"): 2, (1, "pending"): 1}
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("sort", sorted(mailbox_list.SORTS))
def test_pages_read_from_the_end_hold_the_same_rows_as_from_the_start(app, make_domain, sort):
    domain = make_domain("acme.fr")
    rows = [box(domain, i, status) for i, status in enumerate([MailboxStatus.PENDING] * 23)]
    for i, row in enumerate(rows):  # ties on the names and statuses: the id decides
        row["last_name"] = "Same" if i % 3 else f"Other{i % 5}"
        row["name_key"] = name_key(row["first_name"], f"{row['last_name']}{i}")
        row["status"] = ("enabled", "pending", "failed")[i % 3]
    db.session.execute(sa.insert(Mailbox), rows)
    db.session.commit()

    whole = mailbox_list.listing(domain, sort=sort, per_page=100).items
    assert len(whole) == 23
    pages = [mailbox_list.listing(domain, sort=sort, page=n, per_page=5) for n in range(1, 6)]
    assert [box.id for page in pages for box in page.items] == [box.id for box in whole]
    assert [len(page.items) for page in pages] == [5, 5, 5, 5, 3]
    assert mailbox_list.listing(domain, sort=sort, page=99, per_page=5).items == pages[-1].items


def alias(domain: Domain, local_part: str, destination: str) -> dict:
    return {"domain_id": domain.id, "local_part": local_part, "destination": destination}


def test_alias_counts_follow_destinations_added_and_removed(app, make_domain):
    # An alias is a local part: its second destination adds no alias, removing its last one
    # removes it, whoever writes the rows (the ORM or a bulk statement).
    one, two = make_domain("one.fr"), make_domain("two.fr")
    db.session.add_all(Alias(**alias(one, "team", f"m{i}@x.org")) for i in range(3))
    db.session.execute(sa.insert(Alias), [alias(one, "sales", "s@x.org"), alias(two, "a", "a@x")])
    db.session.commit()
    assert domain_counts(one) == {"mailboxes": 0, "aliases": 2}
    assert domain_counts(two)["aliases"] == 1

    db.session.execute(sa.delete(Alias).where(Alias.destination.in_(["m0@x.org", "m1@x.org"])))
    db.session.commit()
    assert domain_counts(one)["aliases"] == 2  # "team" keeps one destination
    db.session.execute(sa.delete(Alias).where(Alias.local_part == "team"))
    db.session.commit()
    assert domain_counts(one)["aliases"] == 1
    assert alias_listing(one).total == 1


def test_the_audit_log_total_is_kept_by_kind(app, make_domain, make_user, client, login_as):
    owner = make_user("owner@example.org")
    domain = make_domain("acme.fr", owner=owner)
    for i in range(3):
        audit.record(domain, "mailbox.created", legacy(f"created {i}"))
    audit.record(domain, "domain.checked", legacy("zz-verified"))
    audit.record(None, "domain.checked", legacy("no domain: counted nowhere"))
    db.session.commit()
    login_as(owner)
    assert "4 changes" in client.get("/domains/acme.fr/log/").get_data(as_text=True)
    filtered = client.get("/domains/acme.fr/log/?kind=mailbox.created").get_data(as_text=True)
    assert "3 changes" in filtered and "created 2" in filtered and "zz-verified" not in filtered
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.kind == "domain.checked"))
    db.session.commit()
    assert "3 changes" in client.get("/domains/acme.fr/log/").get_data(as_text=True)

"""Redis stopped while people create mailboxes and aliases: the pages say nothing is lost, the
rows keep their mark, and once Redis is back (empty: it kept nothing) the reconciler sends
everything, once."""

import pytest

from tests.faults.support import (
    alias_rows,
    confirmations,
    expected_confirmations,
    mailbox_rows,
    person,
)
from webapp.extensions import db
from webapp.jobs.periodic import reconcile
from webapp.models import AliasStatus, MailboxStatus

pytestmark = pytest.mark.faults

MAILBOXES = "/domains/acme.fr/mailboxes/"
ALIASES = "/domains/acme.fr/aliases/"
BEFORE, DURING = range(0, 3), range(3, 9)
ALIAS_PAIRS = [("contact", "person03@acme.fr"), ("contact", "someone@partner.example")]


def test_writes_while_redis_is_stopped_are_sent_once_it_is_back(
    app, client, acme, dimail, run_jobs, outbox, own_redis
):
    for i in BEFORE:  # queued in Redis, which loses them when it stops
        response = client.post_form(MAILBOXES, person(i), follow_redirects=True)
        assert "is being created on the mail platform" in response.get_data(as_text=True)

    own_redis.stop()
    for i in DURING:
        response = client.post_form(MAILBOXES, person(i))
        assert response.status_code == 303, response.get_data(as_text=True)
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        assert "nothing is lost" in page.get_data(as_text=True)
    for local_part, destination in ALIAS_PAIRS:
        response = client.post_form(ALIASES, {"local_part": local_part, "destination": destination})
        assert response.status_code == 303, response.get_data(as_text=True)
        assert "nothing is lost" in client.get(response.headers["Location"]).get_data(as_text=True)
    # An htmx form gets its answer in place, with the same warning, and no error either.
    response = client.post_form(MAILBOXES, person(9), htmx=True)
    assert response.status_code == 200 and "nothing is lost" in response.get_data(as_text=True)

    rows = mailbox_rows()
    assert len(rows) == 10 and all(box.syncing for box in rows)  # every row keeps its mark
    assert {box.status for box in rows} == {MailboxStatus.PENDING}
    assert all(alias.syncing for alias in alias_rows()) and len(alias_rows()) == 2
    listing = client.get(MAILBOXES)
    assert listing.status_code == 200
    assert listing.get_data(as_text=True).count('data-status="syncing"') == 10
    assert client.get(f"{MAILBOXES}person05/").status_code == 200
    assert dimail.creations("mailbox:") == {}  # nothing reached dimail meanwhile

    own_redis.start()  # same port, empty
    queued = reconcile()
    assert queued["mailboxes"] == 10 and queued["aliases"] == 2
    assert run_jobs().failed == []

    rows = mailbox_rows()
    assert {box.status for box in rows} == {MailboxStatus.ENABLED}
    assert not any(box.syncing or box.last_error for box in rows)
    assert dimail.creations("mailbox:") == {
        f"mailbox:person{i:02}@acme.fr": 1 for i in range(10)
    }  # each created once
    assert dimail.creations("alias:") == {
        f"alias:contact@acme.fr>{destination}": 1 for _, destination in ALIAS_PAIRS
    }
    assert {alias.status for alias in alias_rows()} == {AliasStatus.ENABLED}
    assert confirmations(outbox) == expected_confirmations(10)
    assert not any(reconcile().values())  # nothing left waiting
    page = client.get(MAILBOXES).get_data(as_text=True)
    assert 'data-status="syncing"' not in page


def test_a_domain_enabled_while_redis_is_stopped_sends_its_email_and_mailboxes_later(
    app, client, owner, make_user, make_domain, dimail, run_jobs, outbox, own_redis
):
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    domain = make_domain("acme.fr", owner=owner)  # pending: its mailboxes wait for it
    dimail.add_domain("acme.fr")
    for i in range(3):
        assert client.post_form(MAILBOXES, person(i)).status_code == 303
    run_jobs()  # their jobs find the domain pending
    client.post_form("/logout")
    staff = make_user("staff@example.org", superuser=True)
    client.post_form("/login", {"email": staff.email, "password": "correct-horse-battery"})

    own_redis.stop()
    response = client.post_form("/domains/acme.fr/status", {"status": "enabled"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The domain is now enabled" in page and "nothing is lost" in page
    assert all(box.syncing for box in mailbox_rows())  # marked, waiting for the queue
    db.session.refresh(domain)
    assert domain.status_email_due

    own_redis.start()  # same port, empty
    queued = reconcile()
    assert queued["mailboxes"] == 3 and queued["status emails"] == 1
    assert run_jobs().failed == []
    assert not any(reconcile().values())  # nothing owed any more

    assert {box.status for box in mailbox_rows()} == {MailboxStatus.ENABLED}
    assert dimail.creations("mailbox:") == {f"mailbox:person{i:02}@acme.fr": 1 for i in range(3)}
    [ready] = outbox.to("support@acme.fr")
    assert "is ready" in ready["Subject"]
    assert confirmations(outbox) == expected_confirmations(3)

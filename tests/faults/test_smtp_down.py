"""The SMTP server down while mailboxes are created: the mailboxes work, their pages say the
email is late, and once SMTP is back the reconciler sends exactly one confirmation each."""

import pytest

from devtools.dev import free_port
from tests.faults.support import (
    confirmations,
    expected_confirmations,
    mailbox_rows,
    person,
)
from webapp.jobs.periodic import reconcile
from webapp.models import MailboxStatus

pytestmark = pytest.mark.faults

COUNT = 5
MAILBOXES = "/domains/acme.fr/mailboxes/"


def test_confirmations_wait_for_smtp_then_leave_once(app, client, acme, dimail, run_jobs, outbox):
    smtp_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nothing listens there: connections are refused
    for i in range(COUNT):
        assert client.post_form(MAILBOXES, person(i)).status_code == 303
    run_jobs()  # every try of every confirmation fails

    rows = mailbox_rows()
    assert {box.status for box in rows} == {MailboxStatus.ENABLED}  # the mailboxes work
    assert not any(box.syncing or box.last_error for box in rows)
    assert all(box.confirmation_sent_at is None for box in rows)
    assert all("could not be sent" in str(box.email_error) for box in rows)
    assert dimail.creations("mailbox:") == {
        f"mailbox:person{i:02}@acme.fr": 1 for i in range(COUNT)
    }
    page = client.get(f"{MAILBOXES}person03/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "could not be sent" in text and "person03@home.example" in text
    assert "It is tried again automatically" in text
    assert client.get(MAILBOXES).status_code == 200
    assert outbox.messages == []

    app.config["SMTP_PORT"] = smtp_port  # back
    assert reconcile()["confirmations"] == COUNT
    run_jobs()
    assert not any(reconcile().values())  # nothing left to send again
    run_jobs()

    rows = mailbox_rows()
    assert all(box.confirmation_sent_at and not box.email_error for box in rows)
    assert confirmations(outbox) == expected_confirmations(COUNT)  # exactly one each
    assert len(outbox.messages) == COUNT
    for message in outbox.messages:  # a one-time webmail login link, as dimail offers codes
        assert "https://webmail.example.net/code/" in outbox.text(message)
    text = client.get(f"{MAILBOXES}person03/").get_data(as_text=True)
    assert "could not be sent" not in text
    assert "its confirmation was sent to person03@home.example" in text
    assert dimail.creations("mailbox:") == {
        f"mailbox:person{i:02}@acme.fr": 1 for i in range(COUNT)
    }

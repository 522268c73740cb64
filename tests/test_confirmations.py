"""The confirmation pages of destructive actions (disabling a mailbox, removing an alias).

Without JavaScript there is no hx-confirm: the action's URL answers a GET with the confirmation
page (a GET never changes anything), a POST without confirm=yes shows it too (SPEC), and the
confirmed POST answers with a 303, so that Back never asks to send a form again.
"""

import html

from tests.test_aliases import add, rows
from tests.test_mailboxes import FORM, mailbox
from webapp.extensions import db
from webapp.models import AuditEntry, MailboxStatus

DISABLE = "/domains/acme.fr/mailboxes/jane.doe/disable"
DELETE = "/domains/acme.fr/aliases/contact/delete"


def entries() -> int:
    return db.session.query(AuditEntry).count()


def test_disabling_a_mailbox_asks_on_a_get_and_redirects_once_confirmed(client, enabled, run_jobs):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    before = entries()

    asked = client.get(DISABLE)
    assert asked.status_code == 200
    page = html.unescape(asked.get_data(as_text=True))
    assert "Disable jane.doe@acme.fr?" in page
    assert 'name="confirm" value="yes"' in page
    assert mailbox().status == MailboxStatus.ENABLED and mailbox().enabled_wanted
    assert entries() == before

    unconfirmed = client.post_form(DISABLE)
    assert unconfirmed.status_code == 200
    assert "Disable jane.doe@acme.fr?" in html.unescape(unconfirmed.get_data(as_text=True))
    assert mailbox().enabled_wanted and entries() == before

    done = client.post_form(DISABLE, {"confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["Location"] == "/domains/acme.fr/mailboxes/jane.doe/"
    assert mailbox().status == MailboxStatus.DISABLED and not mailbox().enabled_wanted

    # With htmx (its dialog asked), the confirmed action still answers in place.
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/enable")
    assert mailbox().enabled_wanted
    in_place = client.post_form(DISABLE, {"confirm": "yes"}, htmx=True)
    assert in_place.status_code == 200 and "HX-Redirect" not in in_place.headers
    assert 'id="mailbox-state"' in in_place.get_data(as_text=True)
    assert not mailbox().enabled_wanted


def test_removing_a_destination_asks_on_a_get_and_redirects_once_confirmed(
    client, enabled, run_jobs
):
    add(client, "contact", "a@elsewhere.org")
    add(client, "contact", "b@elsewhere.org")
    run_jobs()
    before, logged = rows(), entries()

    one = client.get(DELETE, query_string={"destination": "a@elsewhere.org"})
    assert one.status_code == 200
    page = html.unescape(one.get_data(as_text=True))
    assert "Stop sending contact@acme.fr to a@elsewhere.org?" in page
    assert 'name="destination" value="a@elsewhere.org"' in page
    every = client.get(DELETE)
    assert every.status_code == 200
    assert "Remove contact@acme.fr?" in html.unescape(every.get_data(as_text=True))
    unconfirmed = client.post_form(DELETE, {"destination": "a@elsewhere.org"})
    assert unconfirmed.status_code == 200
    assert "Stop sending contact@acme.fr" in html.unescape(unconfirmed.get_data(as_text=True))
    assert rows() == before and entries() == logged

    done = client.post_form(DELETE, {"destination": "a@elsewhere.org", "confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["Location"] == "/domains/acme.fr/aliases/"
    assert [row[1] for row in rows() if row[2] == "enabled"] == ["b@elsewhere.org"]
    in_place = client.post_form(DELETE, {"confirm": "yes"}, htmx=True)
    assert in_place.status_code == 200 and 'id="alias-list"' in in_place.get_data(as_text=True)

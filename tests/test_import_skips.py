"""The import from dimail leaves out what this application cannot name, and says so.

A local part the app refuses (accented, a `+`, longer than 64 characters...) is never cut or
altered to fit: the result would no longer name the dimail mailbox or alias, and every later
action on it would reach another address, or none.
"""

import pytest
import requests

from webapp.extensions import db
from webapp.models import Alias, AuditEntry, Domain, DomainStatus, Mailbox
from webapp.models.mailbox import name_key

LONG = "a" * 70


@pytest.fixture
def enabled(make_user, make_domain, dimail):
    domain = make_domain(
        "acme.fr", owner=make_user("owner@example.org"), status=DomainStatus.ENABLED
    )
    dimail.add_domain("acme.fr")
    return domain


def _in_dimail(simulator, mailboxes=(), aliases=()):
    headers = {"Authorization": f"Bearer {simulator.token()}"}
    for local, given in mailboxes:
        requests.post(
            f"{simulator.url}/domains/acme.fr/mailboxes/{local}",
            json={"givenName": given, "surName": "X", "displayName": f"{given} X"},
            headers=headers,
            timeout=5,
        ).raise_for_status()
    for local, destination in aliases:
        requests.post(
            f"{simulator.url}/domains/acme.fr/aliases/",
            json={"user_name": local, "destination": destination},
            headers=headers,
            timeout=5,
        ).raise_for_status()


def _import(app):
    result = app.test_cli_runner().invoke(args=["import-dimail", "acme.fr"])
    assert result.exit_code == 0, result.output
    return result.output


def test_local_parts_refused_here_are_skipped_and_reported(app, enabled, dimail):
    _in_dimail(
        dimail,
        mailboxes=[("anna", "Anna"), ("jürgen", "Jürgen"), (LONG, "Long"), ("a+b", "Plus")],
        aliases=[("contact", "anna@acme.fr"), ("équipe", "anna@acme.fr"),
                 (LONG, "anna@acme.fr")],
    )  # fmt: skip

    output = _import(app)

    assert "1 mailbox(es) and 1 alias destination(s) imported" in output
    assert "5 skipped" in output and "5 not a valid local part here" in output
    locals_ = set(db.session.scalars(db.select(Mailbox.local_part)))
    assert locals_ == {"anna"}  # nothing cut to 64 characters, nothing altered
    assert set(db.session.scalars(db.select(Alias.local_part))) == {"contact"}
    summary = str(db.session.get(Domain, enabled.id).import_summary)
    assert "5 skipped" in summary and "not a valid local part here" in summary
    assert "jürgen@acme.fr" in summary
    [entry] = db.session.scalars(db.select(AuditEntry).where(AuditEntry.kind == "mailbox.imported"))
    assert "5 skipped" in str(entry.message) and "not a valid local part here" in str(entry.message)

    again = _import(app)  # still skipped, and still said
    assert "0 mailbox(es) and 0 alias destination(s) imported; 5 skipped" in again


def test_each_reason_is_counted_apart(app, enabled, dimail):
    db.session.add(
        Mailbox(domain_id=enabled.id, local_part="bob.known", first_name="Bob",
                last_name="X", name_key=name_key("Bob", "X"), status="enabled")
    )  # fmt: skip
    db.session.commit()
    _in_dimail(
        dimail,
        mailboxes=[("bob", "Bob"), ("jürgen", "Jürgen"), ("eve", "Eve"), ("max", "M" * 201)],
    )

    output = _import(app)

    assert "1 mailbox(es) and 0 alias destination(s) imported; 3 skipped:" in output
    assert "1 with the same names as another mailbox here" in output
    assert "1 not a valid local part here (jürgen@acme.fr)" in output
    assert "1 with names or a destination too long to keep here" in output
    assert {m.local_part for m in db.session.scalars(db.select(Mailbox))} == {"bob.known", "eve"}


def test_a_long_list_of_refused_addresses_is_shortened_in_the_summary(app, enabled, dimail):
    _in_dimail(dimail, mailboxes=[(f"é{n}", f"N{n}") for n in range(8)])

    output = _import(app)

    assert "8 skipped: 8 not a valid local part here (" in output
    assert "and 3 more" in output

"""Drift between our rows and dimail, and the repair after dimail lost a domain's content.

The loss is simulated by emptying the simulator's domain (its mailboxes and aliases), as a
restore of the platform from an empty or old backup would."""

import pytest

from webapp.extensions import db
from webapp.models import Alias, AliasStatus, AuditEntry, Domain, DomainStatus, Mailbox

PEOPLE = [
    {"first_name": "Jane", "last_name": "Doe", "local_part": "jane",
     "secondary_email": "jane@home.example"},
    {"first_name": "Paul", "last_name": "Roe", "local_part": "paul",
     "secondary_email": "paul@home.example"},
]  # fmt: skip
ALIASES = [("contact", "jane@acme.fr"), ("contact", "paul@acme.fr"), ("info", "x@elsewhere.org")]


@pytest.fixture
def superuser(make_user, login_as):
    user = make_user("staff@example.org", superuser=True)
    login_as(user)
    return user


@pytest.fixture
def acme(superuser, dimail, run_jobs, client, outbox):
    """acme.fr enabled here and in dimail, with two confirmed mailboxes and three aliases."""
    form = {"name": "acme.fr", "support_email": "it@acme.fr"}
    assert client.post_form("/domains/", form).status_code == 303
    run_jobs()
    domain = db.session.scalar(db.select(Domain))
    assert domain.status == DomainStatus.ENABLED
    for person in PEOPLE:
        assert client.post_form("/domains/acme.fr/mailboxes/", person).status_code == 303
    for local, destination in ALIASES:
        form = {"local_part": local, "destination": destination}
        assert client.post_form("/domains/acme.fr/aliases/", form).status_code == 303
    assert run_jobs().failed == []
    assert {m.local_part for m in db.session.scalars(db.select(Mailbox))} == {"jane", "paul"}
    return domain


def lose_everything(dimail, name="acme.fr"):
    with dimail.sim.lock:
        dimail.sim.domains[name].mailboxes.clear()
        dimail.sim.domains[name].aliases.clear()


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def restored(outbox, address):
    return [m for m in outbox.to(address) if "was restored" in m["Subject"]]


def confirmations(outbox, address):
    return [m for m in outbox.to(address) if "is ready" in m["Subject"]]


def test_no_drift_after_a_normal_creation(app, acme):
    assert cli(app, "drift") == "acme.fr: no drift\n"


def test_a_dimail_loss_is_reported_then_repaired_by_the_command(
    app, acme, dimail, run_jobs, outbox
):
    lose_everything(dimail)

    before = cli(app, "drift", "acme.fr")
    print(before)
    assert "2 mailbox(es) here that dimail lacks" in before
    assert "3 alias destination(s) here that dimail lacks" in before
    for local in ("jane", "paul"):
        assert f"missing in dimail: mailbox {local}@acme.fr" in before
    for local, destination in ALIASES:
        assert f"missing in dimail: alias {local}@acme.fr -> {destination}" in before

    pushed = cli(app, "push-to-dimail", "acme.fr")
    assert "2 mailbox(es) and 3 alias destination(s) queued" in pushed
    assert run_jobs().failed == []

    after = cli(app, "drift")
    print(after)
    assert after == "acme.fr: no drift\n"
    state = dimail.state()["domains"]["acme.fr"]
    assert set(state["mailboxes"]) == {"jane", "paul"}
    for person in PEOPLE:
        address = person["secondary_email"]
        assert len(restored(outbox, address)) == 1
        assert len(confirmations(outbox, address)) == 1  # the first one only
        text = outbox.text(restored(outbox, address)[0])
        assert "https://webmail.example.net/code/" in text
    boxes = db.session.scalars(db.select(Mailbox)).all()
    assert all(b.status == "enabled" and b.dimail_created_at and not b.syncing for b in boxes)
    aliases = db.session.scalars(db.select(Alias)).all()
    assert all(a.status == AliasStatus.ENABLED for a in aliases)
    [entry] = db.session.scalars(db.select(AuditEntry).where(AuditEntry.kind == "domain.pushed"))
    assert "2 mailbox(es) and 3 alias destination(s)" in str(entry.message)

    assert "0 mailbox(es) and 0 alias destination(s)" in cli(app, "push-to-dimail")
    assert run_jobs().failed == []
    assert len(restored(outbox, "jane@home.example")) == 1  # a second push sends nothing


def test_what_only_dimail_has_and_differences_are_reported_never_deleted(app, acme, dimail):
    with dimail.sim.lock:
        domain = dimail.sim.domains["acme.fr"]
        domain.mailboxes["jane"].given_name = "Janet"
        domain.mailboxes["paul"].active = False
        domain.aliases[("extra", "a@b.org")] = ("extra", "a@b.org")
    report = cli(app, "drift", "acme.fr")
    assert "only in dimail:    alias extra@acme.fr -> a@b.org" in report
    assert "differs:           mailbox jane@acme.fr: names" in report
    assert "differs:           mailbox paul@acme.fr: active here, disabled in dimail" in report
    cli(app, "push-to-dimail", "acme.fr")
    assert ("extra", "a@b.org") in dimail.sim.domains["acme.fr"].aliases


DRIFT = "/domains/acme.fr/drift"


def test_the_page_shows_the_last_comparison_and_repairs(
    app, acme, client, dimail, run_jobs, outbox
):
    assert "Not compared yet" in client.get(DRIFT).get_data(as_text=True)
    lose_everything(dimail)

    assert client.post_form(DRIFT).status_code == 303
    waiting = client.get(DRIFT).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in waiting  # polls while the job is owed
    run_jobs()
    page = client.get(DRIFT).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' not in page
    for local in ("jane", "paul"):
        assert f'<li data-drift="missing-mailbox">{local}@acme.fr</li>' in page
    for local, destination in ALIASES:
        assert f'<li data-drift="missing-alias">{local}@acme.fr → {destination}</li>' in page
    assert "Send again what the mail platform lacks" in page

    assert client.post_form(f"{DRIFT}/push").status_code == 303
    assert run_jobs().failed == []
    assert client.post_form(DRIFT, htmx=True).status_code == 200
    assert run_jobs().failed == []
    page = client.get(DRIFT).get_data(as_text=True)
    assert 'data-drift="none"' in page
    for person in PEOPLE:
        assert len(restored(outbox, person["secondary_email"])) == 1
        assert len(confirmations(outbox, person["secondary_email"])) == 1
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.kind == "domain.pushed"))


def test_the_page_calls_no_dimail_while_rendering(app, acme, client, dimail):
    before = dict(dimail.requests())
    client.get(DRIFT)
    client.post_form(DRIFT)
    assert dimail.requests() == before


def test_only_superusers_see_the_drift(app, acme, client, make_user, grant, login_as):
    from webapp.models import Role

    owner = make_user("owner@example.org")
    grant(owner, db.session.get(Domain, acme.id), Role.OWNER)
    login_as(owner)
    assert client.get(DRIFT).status_code == 403
    assert client.post_form(DRIFT).status_code == 403
    assert client.post_form(f"{DRIFT}/push").status_code == 403
    login_as(make_user("stranger@example.org"))
    assert client.get(DRIFT).status_code == 404


def test_a_domain_dimail_lost_whole_is_created_again_before_its_content(
    app, acme, dimail, run_jobs, outbox
):
    with dimail.sim.lock:
        del dimail.sim.domains["acme.fr"]  # a restore from a backup older than the domain

    before = cli(app, "drift", "acme.fr")
    assert "missing in dimail: the domain acme.fr itself" in before
    assert "2 mailbox(es) here that dimail lacks" in before
    assert "3 alias destination(s) here that dimail lacks" in before

    cli(app, "push-to-dimail", "acme.fr")
    assert run_jobs().failed == []
    assert cli(app, "drift", "acme.fr") == "acme.fr: no drift\n"
    assert sorted(dimail.state()["domains"]["acme.fr"]["mailboxes"]) == ["jane", "paul"]
    for person in PEOPLE:
        assert len(restored(outbox, person["secondary_email"])) == 1
        assert len(confirmations(outbox, person["secondary_email"])) == 1


def test_the_page_says_when_dimail_lost_the_domain(app, client, acme, dimail, run_jobs):
    with dimail.sim.lock:
        del dimail.sim.domains["acme.fr"]
    assert client.post_form("/domains/acme.fr/drift").status_code == 303
    run_jobs()
    page = client.get("/domains/acme.fr/drift").get_data(as_text=True)
    assert 'data-drift="missing-domain"' in page
    assert 'data-drift="none"' not in page

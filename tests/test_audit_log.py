"""The audit log: what each change writes (through pages and real jobs against the simulator),
that it is written with the change or not at all, that it never holds a secret, and its page."""

import re
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from tests.sql_statements import recorded
from webapp import audit
from webapp.extensions import db
from webapp.messages import legacy
from webapp.models import AuditEntry, Domain, DomainStatus, Mailbox, Role, User
from webapp.models.base import utcnow

PLATFORM = "the platform"
FORM = {
    "first_name": "Jane",
    "last_name": "Doe",
    "local_part": "jane.doe",
    "secondary_email": "jane@home.org",
}


def in_dimail_mailbox(simulator, local, given, domain="acme.fr"):
    requests.post(
        f"{simulator.url}/domains/{domain}/mailboxes/{local}",
        json={"givenName": given, "surName": "X", "displayName": f"{given} X"},
        headers={"Authorization": f"Bearer {simulator.token()}"},
        timeout=5,
    ).raise_for_status()


def entries(kind=None) -> list[AuditEntry]:
    db.session.expire_all()
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if kind:
        stmt = stmt.where(AuditEntry.kind == kind)
    return list(db.session.scalars(stmt))


def _user(email) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def login(client, user):
    client.post_form("/logout")
    response = client.post_form(
        "/login", {"email": user.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 303


# ---- What each change writes ----


def test_domain_creation_and_each_status_change_are_logged(
    client, owner, make_user, dimail, run_jobs, outbox
):
    response = client.post_form("/domains/", {"name": "acme-dns.fr", "support_email": "it@a.fr"})
    assert response.status_code == 303
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme-dns.fr"))
    [created] = entries("domain.created")
    assert (created.domain_id, created.actor_id) == (domain.id, owner.id)
    assert created.actor_label == "owner@example.org"
    assert created.target == "acme-dns.fr" and "it@a.fr" in str(created.message)

    run_jobs()  # created in dimail, checked: the owner's DNS is not there yet
    [first] = entries("domain.status")
    assert first.actor_label == PLATFORM and first.actor_id is None
    assert str(first.message).startswith("Pending → Action required: ")
    assert re.search(r"\d+ DNS checks failing: .*\bmx\b", str(first.message))
    assert "spf" in str(first.message)

    dimail.set_dns("acme-dns.fr", True)
    assert client.post_form("/domains/acme-dns.fr/check").status_code == 303
    run_jobs()
    second = entries("domain.status")[-1]
    assert second.actor_label == PLATFORM
    assert str(second.message) == "Action required → Enabled: all checks pass"

    staff = make_user("staff@example.org", superuser=True)
    login(client, staff)
    assert (
        client.post_form("/domains/acme-dns.fr/status", {"status": "disabled"}).status_code == 303
    )
    by_hand = entries("domain.status")[-1]
    assert (by_hand.actor_label, by_hand.actor_id) == ("staff@example.org", staff.id)
    assert str(by_hand.message) == "Enabled → Disabled: set by hand"
    # Setting the same status again changes nothing, so it writes nothing.
    client.post_form("/domains/acme-dns.fr/status", {"status": "disabled"})
    assert len(entries("domain.status")) == 3


def test_a_refusal_by_dimail_is_logged_with_its_words(client, owner, dimail, run_jobs, outbox):
    requests.post(
        f"{dimail.url}/domains/",
        json={"name": "taken.fr", "features": ["mailbox"], "context_name": None},
        auth=(dimail.user, dimail.password),
        timeout=5,
    ).raise_for_status()
    client.post_form("/domains/", {"name": "taken.fr", "support_email": "it@taken.fr"})
    run_jobs()
    [entry] = entries("domain.status")
    assert entry.actor_label == PLATFORM
    assert str(entry.message).startswith("Pending → Failed: dimail refused the creation of ")
    assert "other settings" in str(entry.message)


def test_a_refused_domain_writes_no_entry(client, owner):
    client.post_form("/domains/", {"name": "acme.fr", "support_email": "it@acme.fr"})
    again = client.post_form("/domains/", {"name": "ACME.fr", "support_email": "it@acme.fr"})
    assert again.status_code == 422
    bad = client.post_form("/domains/", {"name": "http://x", "support_email": "it@acme.fr"})
    assert bad.status_code == 422
    assert [e.target for e in entries()] == ["acme.fr"]


def test_mailbox_creation_edits_and_state_changes_name_the_user(
    client, owner, enabled, dimail, run_jobs, outbox
):
    assert client.post_form("/domains/acme.fr/mailboxes/", FORM).status_code == 303
    [created] = entries("mailbox.created")
    assert (created.actor_label, created.domain_id) == ("owner@example.org", enabled.id)
    assert created.target == "jane.doe@acme.fr"
    assert "Jane Doe" in str(created.message) and "jane@home.org" in str(created.message)
    run_jobs()

    edited = {"first_name": "Janet", "last_name": "Doe", "secondary_email": "janet@home.org"}
    assert client.post_form("/domains/acme.fr/mailboxes/jane.doe/", edited).status_code == 303
    [edit] = entries("mailbox.edited")
    assert edit.actor_label == "owner@example.org" and edit.target == "jane.doe@acme.fr"
    assert "first name: Jane → Janet" in str(edit.message)
    assert "secondary email: jane@home.org → janet@home.org" in str(edit.message)
    assert "last name" not in str(edit.message)  # only what changed
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/", edited)  # no change: no entry
    assert len(entries("mailbox.edited")) == 1

    client.post_form("/domains/acme.fr/mailboxes/jane.doe/disable")  # the question, not the act
    assert entries("mailbox.disabled") == []
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/disable", {"confirm": "yes"})
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/enable")
    run_jobs()
    [disabled] = entries("mailbox.disabled")
    [enabled_again] = entries("mailbox.enabled")
    for entry in (disabled, enabled_again):
        assert entry.actor_label == "owner@example.org" and entry.target == "jane.doe@acme.fr"
    assert disabled.id < enabled_again.id


def test_a_bad_mailbox_form_writes_no_entry(client, enabled):
    response = client.post_form(
        "/domains/acme.fr/mailboxes/", {**FORM, "secondary_email": "nope"}, htmx=True
    )
    assert response.status_code == 422
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    same_names = client.post_form("/domains/acme.fr/mailboxes/", {**FORM, "local_part": "jd"})
    assert same_names.status_code == 422
    bad_edit = client.post_form(
        "/domains/acme.fr/mailboxes/jane.doe/",
        {"first_name": "", "last_name": "Roe", "secondary_email": "jane@home.org"},
    )
    assert bad_edit.status_code == 422
    assert [e.kind for e in entries()] == ["mailbox.created"]


def test_dimail_refusing_a_mailbox_is_logged_by_the_platform(client, enabled, dimail, run_jobs):
    in_dimail_mailbox(dimail, "jane.doe", "Other")
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    [failed] = entries("mailbox.failed")
    assert failed.actor_label == PLATFORM and failed.actor_id is None
    assert failed.target == "jane.doe@acme.fr"
    assert "someone else" in str(failed.message) and str(failed.message).startswith(
        "dimail refused"
    )


def test_reset_and_login_link_are_logged_once_the_email_left(
    client, owner, enabled, dimail, run_jobs, outbox
):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/reset-password")
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/login-link")
    assert entries("mailbox.password_reset") == entries("mailbox.login_link") == []  # queued only
    assert run_jobs().failed == []
    [reset] = entries("mailbox.password_reset")
    [link] = entries("mailbox.login_link")
    for entry in (reset, link):
        # Asked by the owner: the job names them, not the platform.
        assert (entry.actor_label, entry.actor_id) == ("owner@example.org", owner.id)
        assert entry.target == "jane.doe@acme.fr" and "jane@home.org" in str(entry.message)
    assert "new password" in str(reset.message) and "login link" in str(link.message)


def test_no_entry_when_the_email_could_not_leave(app, client, enabled, dimail, run_jobs, outbox):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    app.config["SMTP_PORT"] = 9  # nothing listens
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/reset-password")
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/login-link")
    assert run_jobs().failed == []  # both ended by recording why, after their tries
    assert entries("mailbox.password_reset") == entries("mailbox.login_link") == []
    box = db.session.scalar(db.select(Mailbox))
    assert "could not be sent" in str(box.notice)  # what the last of the two actions came to


def test_imports_write_one_entry_with_the_counts(app, client, owner, enabled, dimail, run_jobs):
    in_dimail_mailbox(dimail, "anna", "Anna")
    requests.post(
        f"{dimail.url}/domains/acme.fr/aliases/",
        json={"user_name": "contact", "destination": "anna@acme.fr"},
        headers={"Authorization": f"Bearer {dimail.token()}"},
        timeout=5,
    ).raise_for_status()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-dimail", "acme.fr"]).exit_code == 0
    [nightly] = entries("mailbox.imported")
    assert nightly.actor_label == PLATFORM and nightly.target == "acme.fr"
    assert str(nightly.message) == "1 mailbox(es) and 1 alias destination(s) imported."
    runner.invoke(args=["import-dimail", "acme.fr"])  # nothing new: nothing changed
    assert len(entries("mailbox.imported")) == 1

    in_dimail_mailbox(dimail, "bob", "Bob")
    assert client.post_form("/domains/acme.fr/import").status_code == 303
    assert run_jobs().failed == []
    button = entries("mailbox.imported")[-1]
    assert (button.actor_label, button.actor_id) == ("owner@example.org", owner.id)
    assert str(button.message).startswith("1 mailbox(es) and 0 alias destination(s) imported")


def test_one_entry_per_alias_destination_added_and_removed(
    client, owner, enabled, dimail, run_jobs
):
    for destination in ("a@home.org", "b@home.org"):
        form = {"local_part": "contact", "destination": destination}
        assert client.post_form("/domains/acme.fr/aliases/", form).status_code == 303
    bad = client.post_form("/domains/acme.fr/aliases/", {"local_part": "x", "destination": "no"})
    assert bad.status_code == 422
    duplicate = {"local_part": "contact", "destination": "a@home.org"}
    assert client.post_form("/domains/acme.fr/aliases/", duplicate).status_code == 422
    added = entries("alias.added")
    assert [e.target for e in added] == [
        "contact@acme.fr → a@home.org",
        "contact@acme.fr → b@home.org",
    ]
    assert all(e.actor_label == "owner@example.org" for e in added)
    run_jobs()

    client.post_form("/domains/acme.fr/aliases/contact/delete")  # the question, not the act
    assert entries("alias.removed") == []
    delete = client.post_form("/domains/acme.fr/aliases/contact/delete", {"confirm": "yes"})
    assert delete.status_code == 303
    removed = entries("alias.removed")
    assert sorted(e.target for e in removed) == [e.target for e in added]
    assert all(e.actor_label == "owner@example.org" for e in removed)
    assert "no longer sends to" in str(removed[0].message)
    run_jobs()
    assert len(entries("alias.removed")) == 2  # the job that removes them in dimail adds none


def test_no_password_nor_login_code_ever_reaches_the_log(
    app, client, owner, enabled, dimail, run_jobs, outbox
):
    app.config["SEND_MAILBOX_PASSWORD"] = True
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    [confirmation] = outbox.to("jane@home.org")
    passwords = re.findall(r"Your password: (\S+)", outbox.text(confirmation))
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/reset-password")
    client.post_form("/domains/acme.fr/mailboxes/jane.doe/login-link")
    assert run_jobs().failed == []
    codes = []
    for message in outbox.to("jane@home.org"):
        text = outbox.text(message)
        passwords += re.findall(r"generated for your mailbox \S+:\s+(\S+)", text)
        codes += re.findall(r"/code/(\S+)", text)
    # The first password and the reset's; a login code in the confirmation and in the link.
    assert len(passwords) == 2 and len(codes) == 2, (passwords, codes)
    secrets = passwords + codes
    assert all(len(secret) >= 8 for secret in secrets)
    logged = entries()
    assert {e.kind for e in logged} >= {"mailbox.password_reset", "mailbox.login_link"}
    for entry in logged:
        for secret in secrets:
            assert secret not in str(entry.message) and secret not in entry.target, entry.kind
    stored = repr(db.session.execute(sa.text("SELECT * FROM audit_entries")).all())
    assert not any(secret in stored for secret in secrets)
    page = client.get("/domains/acme.fr/log/").get_data(as_text=True)
    assert "A new password for jane.doe@acme.fr" in page
    assert not any(secret in page for secret in secrets)


# ---- The page ----


@pytest.fixture
def filled(app, make_user, make_domain):
    """acme.fr with 12 entries, oldest first, alternating two kinds; another domain with one."""
    owner = make_user("owner@example.org")
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    other = make_domain("other.fr", owner=owner)
    start = utcnow() - timedelta(hours=1)
    for i in range(12):
        kind = "mailbox.created" if i % 2 == 0 else "alias.added"
        said = legacy(f"message {i:02}")
        entry = audit.record(domain, kind, said, target=f"target{i:02}", actor=owner)
        entry.created_at = start + timedelta(minutes=i)
    audit.record(other, "mailbox.created", legacy("elsewhere"), target="other")
    db.session.commit()
    return domain


def test_the_page_lists_newest_first_with_who_what_and_when(app, client, login_as, filled):
    login_as(_user("owner@example.org"))
    app.config["PAGE_SIZE"] = 5
    page = client.get("/domains/acme.fr/log/").get_data(as_text=True)
    assert "12 changes" in page and "Page 1 of 3" in page
    assert page.index("message 11") < page.index("message 10") < page.index("message 07")
    assert "message 06" not in page and "elsewhere" not in page
    assert "owner@example.org" in page and "target11" in page
    assert audit.KINDS["alias.added"] in page and audit.KINDS["mailbox.created"] in page
    when = db.session.scalar(
        db.select(AuditEntry.created_at).where(AuditEntry.target == "target11")
    )
    # Shown in TIMEZONE as the reader's language writes it, the ISO moment kept in <time>.
    assert f'<time datetime="{when.isoformat(timespec="seconds")}Z">' in page
    assert 'href="/domains/acme.fr/log/"' in page and 'aria-current="page">Log<' in page

    last = client.get("/domains/acme.fr/log/?page=3").get_data(as_text=True)
    assert "message 01" in last and "message 00" in last and "message 02" not in last
    beyond = client.get("/domains/acme.fr/log/?page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond
    odd = client.get("/domains/acme.fr/log/?page=x")
    assert odd.status_code == 200 and "Page 1 of 3" in odd.get_data(as_text=True)


def test_the_kind_filter_and_its_htmx_partial(app, client, login_as, filled):
    login_as(_user("owner@example.org"))
    app.config["PAGE_SIZE"] = 5
    response = client.get("/domains/acme.fr/log/?kind=alias.added", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="log-entries"' in body
    assert "HX-Request" in response.headers["Vary"]
    assert "6 changes" in body and "Page 1 of 2" in body
    assert "message 11" in body and "message 10" not in body
    assert "kind=alias.added" in body  # the pager keeps the filter

    full = client.get("/domains/acme.fr/log/?kind=alias.added").get_data(as_text=True)
    assert "<html" in full and '<option selected value="alias.added">' in full
    unknown = client.get("/domains/acme.fr/log/?kind=nonsense").get_data(as_text=True)
    assert "12 changes" in unknown
    none = client.get("/domains/acme.fr/log/?kind=access.removed").get_data(as_text=True)
    assert "No change of this kind" in none


def test_an_empty_log_says_so(client, owner, make_domain):
    make_domain("acme.fr", owner=owner)
    page = client.get("/domains/acme.fr/log/").get_data(as_text=True)
    assert "Nothing has been recorded for this domain yet." in page


def test_the_page_costs_the_same_queries_at_any_size(app, client, login_as, filled):
    login_as(_user("owner@example.org"))

    def queries():
        with recorded() as seen:
            assert client.get("/domains/acme.fr/log/").status_code == 200
        return len(seen)

    small = queries()
    db.session.execute(
        sa.insert(AuditEntry),
        [
            {"domain_id": filled.id, "actor_label": f"u{i}@example.org", "kind": "alias.added",
             "target": f"t{i}", "message": legacy(f"m{i}"), "created_at": utcnow()}
            for i in range(500)
        ],
    )  # fmt: skip
    db.session.commit()
    assert queries() == small


def test_only_administrators_owners_and_staff_see_the_log(
    client, make_user, make_domain, grant, login_as
):
    owner = make_user("owner@example.org")
    domain = make_domain("acme.fr", owner=owner)
    for role in (Role.VIEWER, Role.ADMINISTRATOR):
        grant(make_user(f"{role.value}@example.org"), domain, role)
    make_user("stranger@example.org")
    make_user("staff@example.org", superuser=True)
    want = {"viewer": 403, "stranger": 404, "administrator": 200, "owner": 200, "staff": 200}
    for who, status in want.items():
        login(client, _user(f"{who}@example.org"))
        assert client.get("/domains/acme.fr/log/").status_code == status, who
        if status != 404:
            overview = client.get("/domains/acme.fr/").get_data(as_text=True)
            assert ('href="/domains/acme.fr/log/"' in overview) == (status == 200), who

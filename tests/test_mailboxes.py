"""Mailboxes end to end: pages, real RQ jobs, the dimail simulator over HTTP, a real SMTP server."""

import re

import pytest
import requests
import sqlalchemy as sa

from tests.sql_statements import recorded
from webapp.extensions import db
from webapp.jobs.periodic import reconcile
from webapp.models import Domain, DomainStatus, Mailbox, MailboxStatus, Role
from webapp.services import mailbox_list

FORM = {
    "first_name": "Jane",
    "last_name": "Doe",
    "local_part": "jane.doe",
    "secondary_email": "jane@home.org",
}


def mailbox(local_part="jane.doe"):
    return db.session.scalar(db.select(Mailbox).where(Mailbox.local_part == local_part))


def sim_box(simulator, local_part="jane.doe", domain="acme.fr"):
    return simulator.state()["domains"][domain]["mailboxes"].get(local_part)


def test_create_on_an_enabled_domain_then_confirmation_with_a_login_link(
    client, enabled, dimail, run_jobs, outbox
):
    response = client.post_form("/domains/acme.fr/mailboxes/", FORM)
    assert response.status_code == 303
    box = mailbox()
    assert box.status == MailboxStatus.PENDING and box.syncing

    assert run_jobs().failed == []
    db.session.refresh(box)
    assert box.status == MailboxStatus.ENABLED and not box.syncing
    assert dimail.creations("mailbox:") == {"mailbox:jane.doe@acme.fr": 1}
    created = sim_box(dimail)
    assert (created["givenName"], created["surName"]) == ("Jane", "Doe")

    [email] = outbox.to("jane@home.org")
    text = outbox.text(email)
    assert "jane.doe@acme.fr" in email["Subject"] and "jane.doe@acme.fr" in text
    assert re.search(r"https://webmail\.example\.net/code/\S+", text)
    assert "Your password" not in text  # a login link, so no password by default
    assert box.confirmation_sent_at is not None


def test_with_send_mailbox_password_the_password_is_in_the_email(
    app, client, enabled, dimail, run_jobs, outbox, caplog
):
    app.config["SEND_MAILBOX_PASSWORD"] = True
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    text = outbox.text(outbox.to("jane@home.org")[0])
    password = re.search(r"Your password: (\S+)", text).group(1)
    assert len(password) >= 8
    # The generated password went only to the email: not in our rows, not in the logs.
    rows = db.session.execute(sa.text("SELECT * FROM mailboxes")).all()
    assert password not in repr(rows)
    assert password not in caplog.text


def test_on_a_pending_domain_it_waits_then_follows_the_domain(
    client, owner, make_domain, make_user, dimail, run_jobs, outbox
):
    make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    response = client.post_form("/domains/acme.fr/mailboxes/", FORM, follow_redirects=True)
    assert "as soon as the domain is ready" in response.get_data(as_text=True)
    run_jobs()
    assert mailbox().status == MailboxStatus.PENDING
    assert dimail.state()["requests"] == {} or "mailbox:jane.doe@acme.fr" not in dimail.creations()

    dimail.add_domain("acme.fr")
    client.post_form("/logout")
    staff = make_user("staff@example.org", superuser=True)
    client.post_form("/login", {"email": staff.email, "password": "correct-horse-battery"})
    assert client.post_form("/domains/acme.fr/status", {"status": "enabled"}).status_code == 303
    run_jobs()
    assert mailbox().status == MailboxStatus.ENABLED
    assert dimail.creations("mailbox:") == {"mailbox:jane.doe@acme.fr": 1}
    assert len(outbox.to("jane@home.org")) == 1


def test_a_new_domain_and_its_mailbox_arrive_together(client, owner, dimail, run_jobs, outbox):
    client.post_form("/domains/", {"name": "fresh.fr", "support_email": "it@fresh.fr"})
    client.post_form("/domains/fresh.fr/mailboxes/", FORM)
    run_jobs()  # the domain job enables it, the hook queues the mailbox, the same run sends it
    assert db.session.scalar(db.select(Domain.status)) == DomainStatus.ENABLED
    assert mailbox().status == MailboxStatus.ENABLED
    assert outbox.to("jane@home.org") and outbox.to("it@fresh.fr")


def test_a_disabled_domain_refuses_mailboxes(client, owner, make_domain):
    make_domain("off.fr", owner=owner, status=DomainStatus.DISABLED)
    response = client.post_form("/domains/off.fr/mailboxes/", FORM)
    assert response.status_code == 422
    assert "disabled" in response.get_data(as_text=True)
    assert mailbox() is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter the first name"),
        ("last_name", "   ", "Enter the last name"),
        ("first_name", "x" * 201, "at most 200"),
        ("local_part", "jane+doe", "not +"),
        ("local_part", "jane@doe", "not @"),
        ("local_part", "jane!", "not !"),
        ("local_part", "ja$ne", "not $"),
        ("local_part", "ja%ne", "not %"),
        ("local_part", "jane doe", "not space"),
        ("local_part", "hélène", "Accented"),
        ("local_part", "x" * 65, "at most 64"),
        ("secondary_email", "not-an-email", "not a valid email"),
        ("secondary_email", "jane.doe@acme.fr", "another address than the new mailbox"),
    ],
)
def test_bad_input_is_refused_next_to_its_field(client, enabled, field, value, message):
    response = client.post_form("/domains/acme.fr/mailboxes/", {**FORM, field: value}, htmx=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    kept = {k: v for k, v in FORM.items() if k != field}
    for value_kept in kept.values():
        assert f'value="{value_kept}"' in page
    assert mailbox() is None and db.session.scalar(sa.select(sa.func.count(Mailbox.id))) == 0


def test_uppercase_local_parts_are_lowered(client, enabled):
    client.post_form("/domains/acme.fr/mailboxes/", {**FORM, "local_part": "Jane.DOE"})
    assert mailbox("jane.doe") is not None


def test_same_names_are_refused_naming_the_other_mailbox(client, enabled):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    response = client.post_form(
        "/domains/acme.fr/mailboxes/",
        {**FORM, "first_name": "JANE", "last_name": " doe ", "local_part": "jane2"},
    )
    assert response.status_code == 422
    assert "jane.doe@acme.fr" in response.get_data(as_text=True)
    again = client.post_form("/domains/acme.fr/mailboxes/", {**FORM, "first_name": "Janet"})
    assert "jane.doe@acme.fr already exists" in again.get_data(as_text=True)


def test_the_address_is_suggested_from_the_names(client, enabled):
    response = client.get(
        "/domains/acme.fr/mailboxes/suggest",
        query_string={"first_name": "Hélène", "last_name": "Dupont Durand"},
        headers={"HX-Request": "true"},
    )
    assert 'value="helene.dupont-durand"' in response.get_data(as_text=True)
    edited = client.get(
        "/domains/acme.fr/mailboxes/suggest",
        query_string={
            "first_name": "A",
            "last_name": "B",
            "local_part": "mine",
            "local_part_edited": "1",
        },
        headers={"HX-Request": "true"},
    )
    assert 'value="mine"' in edited.get_data(as_text=True)
    # Without any address typed, the suggestion is used.
    client.post_form("/domains/acme.fr/mailboxes/", {**FORM, "local_part": ""})
    assert mailbox("jane.doe") is not None


def test_edit_pushes_new_names_to_dimail(client, enabled, dimail, run_jobs):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    response = client.post_form(
        "/domains/acme.fr/mailboxes/jane.doe/",
        {"first_name": "Janet", "last_name": "Doe", "secondary_email": "janet@home.org"},
    )
    assert response.status_code == 303
    box = mailbox()
    assert box.names_synced is False and box.syncing
    run_jobs()
    assert sim_box(dimail)["givenName"] == "Janet"
    db.session.refresh(box)
    assert box.names_synced and box.secondary_email == "janet@home.org"


def test_disable_asks_first_then_disables_and_enables(client, enabled, dimail, run_jobs):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    ask = client.post_form("/domains/acme.fr/mailboxes/jane.doe/disable")
    assert ask.status_code == 200 and "no longer be able to log in" in ask.get_data(as_text=True)
    assert mailbox().status == MailboxStatus.ENABLED

    done = client.post_form("/domains/acme.fr/mailboxes/jane.doe/disable", {"confirm": "yes"})
    assert done.status_code == 303
    assert mailbox().status == MailboxStatus.DISABLED
    run_jobs()
    assert sim_box(dimail)["active"] is False

    client.post_form("/domains/acme.fr/mailboxes/jane.doe/enable")
    run_jobs()
    assert sim_box(dimail)["active"] is True and mailbox().status == MailboxStatus.ENABLED


def test_reset_password_and_login_link_are_emailed(client, enabled, dimail, run_jobs, outbox):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    assert client.post_form("/domains/acme.fr/mailboxes/jane.doe/reset-password").status_code == 303
    run_jobs()
    assert dimail.requests("POST /domains/{d}/mailboxes/{local_part}/reset_password/") == 1
    [reset] = [m for m in outbox.to("jane@home.org") if "New password" in m["Subject"]]
    assert re.search(r"^\S{8,}\r?$", outbox.text(reset), re.M)

    assert client.post_form("/domains/acme.fr/mailboxes/jane.doe/login-link").status_code == 303
    run_jobs()
    [link] = [m for m in outbox.to("jane@home.org") if m["Subject"].startswith("Log in")]
    assert "https://webmail.example.net/code/" in outbox.text(link)
    assert "was sent to jane@home.org" in client.get(
        "/domains/acme.fr/mailboxes/jane.doe/"
    ).get_data(as_text=True)


def test_an_older_dimail_says_what_it_cannot_do(
    app, client, owner, make_domain, make_simulator, run_jobs
):
    old = make_simulator(generation="2024")
    app.config.update(DIMAIL_URL=old.url, DIMAIL_USER=old.user, DIMAIL_PASSWORD=old.password)
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    domain.checks_supported = False
    db.session.commit()
    old.add_domain("acme.fr")
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    assert mailbox().status == MailboxStatus.ENABLED
    page = client.get("/domains/acme.fr/mailboxes/jane.doe/").get_data(as_text=True)
    assert "not offered by the connected mail platform" in page
    refused = client.post_form("/domains/acme.fr/mailboxes/jane.doe/reset-password", htmx=True)
    assert refused.status_code == 409
    assert "older dimail" in refused.get_data(as_text=True)


def test_smtp_down_is_shown_retried_and_never_a_500(app, client, enabled, dimail, run_jobs, outbox):
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = 9  # nothing listens
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run = run_jobs()
    box = mailbox()
    assert box.status == MailboxStatus.ENABLED  # the mailbox exists; only the email is late
    assert "could not be sent" in str(box.email_error) and box.confirmation_sent_at is None
    assert run.failed == []  # the job ended by recording why, after its tries
    assert "tried again automatically" in str(box.email_error)  # the reconciler sends it later
    page = client.get("/domains/acme.fr/mailboxes/jane.doe/")
    assert page.status_code == 200 and "could not be sent" in page.get_data(as_text=True)

    app.config.update(SMTP_PORT=port, RECONCILE_AFTER_SECONDS=0)
    reconcile()
    run_jobs()
    db.session.refresh(box)
    assert box.email_error is None and box.confirmation_sent_at is not None
    assert len(outbox.to("jane@home.org")) == 1


def test_someone_elses_address_in_dimail_fails_with_the_reason(client, enabled, dimail, run_jobs):
    requests.post(
        f"{dimail.url}/domains/acme.fr/mailboxes/jane.doe",
        json={"givenName": "Other", "surName": "Person", "displayName": "Other Person"},
        headers={"Authorization": f"Bearer {dimail.token()}"},
        timeout=5,
    ).raise_for_status()
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    run_jobs()
    box = mailbox()
    assert box.status == MailboxStatus.FAILED
    assert "someone else" in str(box.last_error)
    page = client.get("/domains/acme.fr/mailboxes/jane.doe/").get_data(as_text=True)
    assert "someone else" in page and "Retry" in page
    assert client.post_form("/domains/acme.fr/mailboxes/jane.doe/retry").status_code == 303
    assert mailbox().status == MailboxStatus.PENDING and mailbox().syncing


def test_a_lost_answer_creates_nothing_twice(client, enabled, dimail, run_jobs, outbox):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    dimail.faults(fail_after_effect_rate=1.0)
    run_jobs()
    dimail.faults(fail_after_effect_rate=0.0)
    box = mailbox()
    if box.status != MailboxStatus.ENABLED:
        box.sync_requested_at = box.sync_requested_at.replace(year=2000)
        db.session.commit()
        reconcile()
        run_jobs()
    assert mailbox().status == MailboxStatus.ENABLED
    assert dimail.creations("mailbox:") == {"mailbox:jane.doe@acme.fr": 1}


def test_list_search_filter_sort_and_pages(app, client, enabled):
    app.config["PAGE_SIZE"] = 10
    for i in range(25):
        db.session.add(
            Mailbox(domain_id=enabled.id, local_part=f"user{i:02}", first_name=f"First{i:02}",
                    last_name=f"Last{24 - i:02}", name_key=f"first{i:02} last{24 - i:02}",
                    status=MailboxStatus.DISABLED if i % 5 == 0 else MailboxStatus.ENABLED)
        )  # fmt: skip
    db.session.commit()
    page = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert "25 mailboxes" in page and "Page 1 of 3" in page
    assert page.index("Last00") < page.index("Last01")  # sorted by last name
    found = client.get("/domains/acme.fr/mailboxes/?q=user07").get_data(as_text=True)
    assert "1 mailbox " in found and "user07@acme.fr" in found
    by_name = client.get("/domains/acme.fr/mailboxes/?q=first13").get_data(as_text=True)
    assert "user13@acme.fr" in by_name
    disabled = client.get(
        "/domains/acme.fr/mailboxes/?status=disabled", headers={"HX-Request": "true"}
    )
    body = disabled.get_data(as_text=True)
    assert "<html" not in body and "5 mailboxes" in body
    assert "HX-Request" in disabled.headers["Vary"]
    newest = client.get("/domains/acme.fr/mailboxes/?sort=address&page=3").get_data(as_text=True)
    assert "user24@acme.fr" in newest and "user00@acme.fr" not in newest


def test_the_list_costs_the_same_queries_at_any_size(app, client, enabled):
    def queries_for_page():
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/domains/acme.fr/mailboxes/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def add(start, count):
        db.session.execute(
            sa.insert(Mailbox),
            [
                {"domain_id": enabled.id, "local_part": f"u{i}", "first_name": "F",
                 "last_name": f"L{i}", "name_key": f"f l{i}", "status": "enabled"}
                for i in range(start, start + count)
            ],
        )  # fmt: skip
        db.session.commit()

    add(0, 5)
    small = queries_for_page()
    add(5, 500)
    assert queries_for_page() == small


def _found(client, query):
    page = client.get("/domains/acme.fr/mailboxes/", query_string={"q": query})
    return set(re.findall(r"<td>([^<@]+)@acme\.fr</td>", page.get_data(as_text=True)))


@pytest.mark.parametrize("selective", [True, False], ids=["by-ids", "in-sort-order"])
def test_search_looks_into_address_names_and_secondary_email(
    app, client, enabled, monkeypatch, selective
):
    # Both ways of reading a search's page give the same answers.
    monkeypatch.setattr(mailbox_list, "SELECTIVE_SEARCH", 1000 if selective else 0)
    db.session.execute(
        sa.insert(Mailbox),
        [
            {"domain_id": enabled.id, "local_part": "j.dupont", "first_name": "Jeanne",
             "last_name": "Dupont", "name_key": "jeanne dupont",
             "secondary_email": "Jeanne.Perso@Home.example", "status": "enabled"},
            {"domain_id": enabled.id, "local_part": "gaelle", "first_name": "Gaëlle",
             "last_name": "Straße", "name_key": "gaëlle strasse", "status": "disabled"},
            {"domain_id": enabled.id, "local_part": "x_100%", "first_name": "Pat",
             "last_name": "Cent", "name_key": "pat cent", "status": "enabled"},
        ],
    )  # fmt: skip
    db.session.commit()
    assert _found(client, "dupont") == {"j.dupont"}  # address and last name
    assert _found(client, "JEANNE") == {"j.dupont"}  # first name, any case
    assert _found(client, "perso@home") == {"j.dupont"}  # secondary email, any case
    assert _found(client, "j.dupont@acme.fr") == {"j.dupont"}  # the full address
    assert _found(client, "GAËLLE") == {"gaelle"}
    assert _found(client, "straße") == {"gaelle"}  # case-folded like the stored names
    assert _found(client, "100%") == {"x_100%"}  # LIKE wildcards are plain characters
    assert _found(client, "_") == {"x_100%"}
    assert _found(client, "dupont\njeanne") == set()  # never across two fields
    by_status = client.get("/domains/acme.fr/mailboxes/?q=e&status=disabled")
    assert "1 mailbox " in by_status.get_data(as_text=True)


def _queries(client, url) -> tuple[int, str]:
    with recorded() as seen:
        page = client.get(url)
        assert page.status_code == 200
    return len(seen), page.get_data(as_text=True)


def test_a_broad_search_is_counted_up_to_a_bound_and_pages_on(app, client, enabled, monkeypatch):
    monkeypatch.setattr(mailbox_list, "SELECTIVE_SEARCH", 2)
    monkeypatch.setattr(mailbox_list, "COUNTED_MATCHES", 5)
    app.config["PAGE_SIZE"] = 2
    db.session.execute(
        sa.insert(Mailbox),
        [
            {"domain_id": enabled.id, "local_part": f"martin{i:02}", "first_name": "Ann",
             "last_name": f"Martin{i:02}", "name_key": f"ann martin{i:02}", "status": "enabled"}
            for i in range(11)
        ] + [{"domain_id": enabled.id, "local_part": "zoe", "first_name": "Zoé",
              "last_name": "Roe", "name_key": "zoé roe", "status": "enabled"}],
    )  # fmt: skip
    db.session.commit()
    url = "/domains/acme.fr/mailboxes/?q=martin"
    broad_queries, first = _queries(client, url)
    assert "More than 5 mailboxes match “martin”" in first
    assert "Page 1 of more than 3" in first and 'rel="next"' in first
    assert _found(client, "martin") == {"martin00", "martin01"}
    # Pages past the counted ones are read on, and the last one says it is.
    beyond = client.get(url + "&page=6").get_data(as_text=True)
    assert "martin10@acme.fr" in beyond and 'rel="next"' not in beyond
    assert "Page 6<" in beyond and 'rel="prev"' in beyond
    assert "Page 5<" in client.get(url + "&page=5").get_data(as_text=True)
    # A selective search and a search of every mailbox cost the same queries.
    selective_queries, few = _queries(client, "/domains/acme.fr/mailboxes/?q=roe")
    assert "1 mailbox matching “roe”" in few
    assert broad_queries == selective_queries
    counted = client.get("/domains/acme.fr/mailboxes/?q=martin0").get_data(as_text=True)
    assert "More than 5 mailboxes" in counted  # 10 matches: above the bound too
    monkeypatch.setattr(mailbox_list, "COUNTED_MATCHES", 20)
    exact = client.get(url).get_data(as_text=True)
    assert "11 mailboxes matching “martin”" in exact and "Page 1 of 6" in exact


def test_a_broad_search_past_its_end_shows_the_last_page(app, client, enabled, monkeypatch):
    monkeypatch.setattr(mailbox_list, "SELECTIVE_SEARCH", 2)
    monkeypatch.setattr(mailbox_list, "COUNTED_MATCHES", 5)
    app.config["PAGE_SIZE"] = 2
    db.session.execute(
        sa.insert(Mailbox),
        [
            {"domain_id": enabled.id, "local_part": f"martin{i:02}", "first_name": "Ann",
             "last_name": f"Martin{i:02}", "name_key": f"ann martin{i:02}", "status": "enabled"}
            for i in range(7)
        ],
    )  # fmt: skip
    db.session.commit()
    for page in ("9", "9223372036854775808", "1" + "0" * 40):
        answer = client.get(f"/domains/acme.fr/mailboxes/?q=martin&page={page}")
        body = answer.get_data(as_text=True)
        assert answer.status_code == 200
        # Past the end, the search is counted exactly and its last page is shown.
        assert "7 mailboxes matching “martin”" in body and "Page 4 of 4" in body
        assert "martin06@acme.fr" in body and 'rel="prev"' in body


def test_the_search_follows_edits(client, enabled):
    client.post_form("/domains/acme.fr/mailboxes/", FORM)
    assert _found(client, "doe") == {"jane.doe"}
    edit = {"first_name": "Jane", "last_name": "Martin", "secondary_email": "jm@work.example"}
    assert client.post_form("/domains/acme.fr/mailboxes/jane.doe/", edit).status_code == 303
    assert _found(client, "martin") == {"jane.doe"}
    assert _found(client, "work.example") == {"jane.doe"}
    assert _found(client, "jane.doe") == {"jane.doe"}
    assert _found(client, "home.org") == set()
    assert _found(client, "jane doe") == set()


def test_the_list_total_without_a_search_comes_from_the_status_counts(app, client, enabled):
    app.config["PAGE_SIZE"] = 2
    for i, status in enumerate(["enabled", "enabled", "disabled", "failed", "enabled"]):
        db.session.add(
            Mailbox(domain_id=enabled.id, local_part=f"u{i}", first_name="F", last_name=f"L{i}",
                    name_key=f"f l{i}", status=status)
        )  # fmt: skip
    db.session.commit()
    page = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert "5 mailboxes" in page and "Page 1 of 3" in page
    enabled_only = client.get("/domains/acme.fr/mailboxes/?status=enabled&page=9")
    assert "3 mailboxes" in enabled_only.get_data(as_text=True)
    assert "Page 2 of 2" in enabled_only.get_data(as_text=True)
    pending = client.get("/domains/acme.fr/mailboxes/?status=pending").get_data(as_text=True)
    assert "0 mailboxes" in pending and "No mailbox matches this search." in pending


def test_viewers_see_mailboxes_but_cannot_create(client, make_user, make_domain, grant, login_as):
    domain = make_domain("acme.fr", owner=make_user(), status=DomainStatus.ENABLED)
    viewer = make_user()
    grant(viewer, domain, Role.VIEWER)
    login_as(viewer)
    page = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert 'id="create-mailbox"' not in page
    assert client.post_form("/domains/acme.fr/mailboxes/", FORM).status_code == 403


def test_import_brings_what_dimail_has_once(app, client, enabled, dimail):
    token = dimail.token()
    headers = {"Authorization": f"Bearer {token}"}
    # dimail lists its technical oxadmin@acme.fr of its own (real servers do): never imported.
    for local, given in (("anna", "Anna"), ("Bob", "Bob")):
        requests.post(
            f"{dimail.url}/domains/acme.fr/mailboxes/{local}",
            json={"givenName": given, "surName": "X", "displayName": f"{given} X"},
            headers=headers,
            timeout=5,
        ).raise_for_status()
    requests.post(
        f"{dimail.url}/domains/acme.fr/aliases/",
        json={"user_name": "contact", "destination": "anna@acme.fr"},
        headers=headers,
        timeout=5,
    ).raise_for_status()
    db.session.add(
        Mailbox(domain_id=enabled.id, local_part="bob", first_name="Bob", last_name="Known",
                name_key="bob known", status="enabled")
    )  # fmt: skip
    db.session.commit()

    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-dimail", "acme.fr"])
    assert first.exit_code == 0, first.output
    assert "1 mailbox(es) and 1 alias destination(s) imported" in first.output
    imported = mailbox("anna")
    assert imported.status == MailboxStatus.ENABLED and imported.dimail_created_at
    assert mailbox("oxadmin") is None
    second = runner.invoke(args=["import-dimail", "acme.fr"])
    assert "0 mailbox(es) and 0 alias destination(s) imported" in second.output
    assert "Last import" in client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)


def test_import_button_runs_the_job(client, enabled, dimail, run_jobs):
    response = client.post_form("/domains/acme.fr/import")
    assert response.status_code == 303
    assert run_jobs().failed == []
    assert "imported" in str(db.session.get(Domain, enabled.id).import_summary)

"""The domain lifecycle through real RQ jobs against the dimail simulator over HTTP."""

import re
from datetime import timedelta

import pytest

from tests.sql_statements import recorded
from webapp.extensions import db
from webapp.jobs.domain_status import domain_enabled
from webapp.jobs.domains import sync_domain
from webapp.jobs.periodic import check_due_domains, reconcile
from webapp.jobs.queue import queue
from webapp.models import Domain, DomainStatus
from webapp.models.base import utcnow


@pytest.fixture
def enabled_events(app):
    seen = []

    def receiver(sender, domain):
        seen.append(domain.name)

    domain_enabled.connect(receiver)
    yield seen
    domain_enabled.disconnect(receiver)


def create(client, name):
    response = client.post_form("/domains/", {"name": name, "support_email": f"it@{name}"})
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.scalar(db.select(Domain).where(Domain.name == name))


def test_a_new_domain_is_created_in_dimail_checked_and_enabled(
    client, owner, dimail, run_jobs, outbox, enabled_events
):
    domain = create(client, "acme.fr")
    assert domain.status == DomainStatus.PENDING
    assert domain.sync_requested_at is not None
    assert queue().count == 1

    assert run_jobs().failed == []
    db.session.refresh(domain)
    assert domain.status == DomainStatus.ENABLED
    assert domain.dimail_created_at and domain.last_check_at
    assert domain.sync_requested_at is None and domain.last_error is None
    assert {r["type"] for r in domain.dns_records} >= {"MX", "CNAME", "TXT"}
    assert dimail.creations("domain:") == {"domain:acme.fr": 1}
    created = dimail.state()["domains"]["acme.fr"]
    assert created["context_name"] == "acme.fr"
    assert set(created["features"]) == {"webmail", "mailbox", "alias"}
    assert enabled_events == ["acme.fr"]

    [email] = outbox.to("it@acme.fr")
    assert "is ready" in email["Subject"]
    assert "http://mail-domains.test/domains/acme.fr/" in outbox.text(email)


def test_the_token_is_fetched_once_for_many_domains(client, owner, dimail, run_jobs):
    for i in range(5):
        create(client, f"d{i}.fr")
    run_jobs()
    requests = dimail.state()["requests"]
    assert requests.get("GET /token/", 0) <= 1
    calls = sum(requests.values())
    # create, the grant the client gives itself, check and spec per domain; one token for all.
    assert calls <= 5 * 4 + 1, requests


def test_broken_dns_gives_action_required_with_the_reasons_and_records(
    client, owner, dimail, run_jobs, outbox
):
    create(client, "acme-dns.fr")
    run_jobs()
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme-dns.fr"))
    assert domain.status == DomainStatus.ACTION_REQUIRED
    failing = {c["name"] for c in domain.failing_checks}
    assert "mx" in failing and all(not c["internal"] for c in domain.failing_checks)

    page = client.get("/domains/acme-dns.fr/").get_data(as_text=True)
    assert 'data-status="action_required"' in page
    assert "Mail exchanger (MX) record" in page
    assert "wrong_mx" in page  # dimail's code, next to its own words
    detail = domain.failing_checks[0]["errors"][0]["detail"]
    assert detail and detail.replace("'", "&#39;") in page
    assert "Expected DNS records" in page and 'data-copy="record-1"' in page

    zone = client.get("/domains/acme-dns.fr/zone.txt")
    assert zone.headers["Content-Disposition"].startswith("attachment;")
    text = zone.get_data(as_text=True)
    assert "$ORIGIN acme-dns.fr." in text
    assert re.search(r"^@\s+IN MX\s+10 mx\.", text, re.M)
    assert re.search(r'^dimail\._domainkey\s+IN TXT\s+"', text, re.M)

    [email] = outbox.to("it@acme-dns.fr")
    assert "Action required" in email["Subject"]
    assert "MX" in outbox.text(email)

    # The owner publishes the records, then asks for a check.
    dimail.set_dns("acme-dns.fr", True)
    response = client.post_form("/domains/acme-dns.fr/check", htmx=True)
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.get_data(as_text=True)
    run_jobs()
    db.session.refresh(domain)
    assert domain.status == DomainStatus.ENABLED
    assert dimail.creations("domain:") == {"domain:acme-dns.fr": 1}


def test_a_platform_problem_is_repaired_by_fix(client, owner, dimail, run_jobs, enabled_events):
    create(client, "acme-platform.fr")
    run_jobs()
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme-platform.fr"))
    assert domain.status == DomainStatus.ENABLED
    assert any(key.endswith("/fix/") for key in dimail.state()["requests"])
    assert enabled_events == ["acme-platform.fr"]


def test_the_status_fragment_polls_until_a_final_state(client, owner, dimail, run_jobs):
    create(client, "acme.fr")
    htmx = {"HX-Request": "true"}
    polling = client.get("/domains/acme.fr/status", headers=htmx).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in polling and "Talking to the mail platform" in polling
    run_jobs()
    final = client.get("/domains/acme.fr/status", headers=htmx).get_data(as_text=True)
    assert "hx-trigger" not in final and 'data-status="enabled"' in final
    assert client.get("/domains/acme.fr/status").status_code == 303  # no fragment without htmx


def test_a_job_run_twice_creates_nothing_twice(app, client, owner, dimail, outbox):
    domain = create(client, "acme.fr")
    assert sync_domain(domain.id) == "enabled"
    domain.dimail_created_at = None  # as if the first answer had been lost
    db.session.commit()
    assert sync_domain(domain.id) == "enabled"
    assert dimail.creations("domain:") == {"domain:acme.fr": 1}


def test_a_lost_answer_is_retried_without_a_duplicate(client, owner, dimail, run_jobs):
    create(client, "acme.fr")
    dimail.faults(fail_after_effect_rate=1.0)
    run_jobs()
    dimail.faults(fail_after_effect_rate=0.0)
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme.fr"))
    if domain.status != DomainStatus.ENABLED:
        domain.sync_requested_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        reconcile()
        run_jobs()
        db.session.refresh(domain)
    assert domain.status == DomainStatus.ENABLED
    assert dimail.creations("domain:") == {"domain:acme.fr": 1}


def test_transient_failures_are_retried_then_fail_the_domain_with_the_reason(
    app, client, owner, dimail, run_jobs, outbox
):
    create(client, "acme.fr")
    dimail.faults(error_rate=1.0)
    run = run_jobs()
    assert run.failed == []  # the job ended by recording the failure, after all its tries
    tries = len(app.config["JOB_RETRY_INTERVALS"]) + 1
    assert dimail.requests("POST /domains/") == tries
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme.fr"))
    assert domain.status == DomainStatus.FAILED
    assert domain.sync_requested_at is None  # not "syncing" for ever: the page says why
    page = client.get("/domains/acme.fr/").get_data(as_text=True)
    assert "could not be reached" in page and "press Retry" in page
    assert [m["Subject"] for m in outbox.messages] == [
        "Your mail domain acme.fr needs the platform's support"
    ]

    dimail.faults(error_rate=0.0)
    assert client.post_form("/domains/acme.fr/check").status_code == 303
    run_jobs()
    db.session.refresh(domain)
    assert domain.status == DomainStatus.ENABLED and domain.last_error is None


def test_a_permanent_refusal_fails_the_domain_with_dimails_words(
    client, owner, dimail, run_jobs, outbox
):
    # dimail already has the name, with other features: not ours to take over.
    import requests

    requests.post(
        f"{dimail.url}/domains/",
        json={"name": "taken.fr", "features": ["mailbox"], "context_name": None},
        auth=(dimail.user, dimail.password),
        timeout=5,
    ).raise_for_status()
    create(client, "taken.fr")
    run_jobs()
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "taken.fr"))
    assert domain.status == DomainStatus.FAILED
    assert "other settings" in str(domain.last_error)
    assert domain.sync_requested_at is None
    page = client.get("/domains/taken.fr/").get_data(as_text=True)
    assert "other settings" in page and ">\n        Retry\n" in page or "Retry" in page
    assert "needs the platform" in outbox.to("it@taken.fr")[0]["Subject"]


def test_redis_down_when_saving_loses_nothing(app, client, owner, dimail, run_jobs):
    real_redis = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens there
    response = client.post_form(
        "/domains/", {"name": "acme.fr", "support_email": "it@acme.fr"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "nothing is lost" in response.get_data(as_text=True)
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme.fr"))
    assert domain.status == DomainStatus.PENDING and domain.sync_requested_at is not None

    app.config["REDIS_URL"] = real_redis
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    result = app.test_cli_runner().invoke(args=["reconcile"])
    assert result.exit_code == 0 and "1 domains re-enqueued" in result.output
    run_jobs()
    db.session.refresh(domain)
    assert domain.status == DomainStatus.ENABLED


def test_an_older_dimail_leaves_the_status_to_staff(
    app, client, owner, make_simulator, run_jobs, make_user, enabled_events
):
    old = make_simulator(generation="2024")
    app.config.update(DIMAIL_URL=old.url, DIMAIL_USER=old.user, DIMAIL_PASSWORD=old.password)
    create(client, "acme.fr")
    run_jobs()
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme.fr"))
    assert domain.status == DomainStatus.PENDING
    assert domain.checks_supported is False and domain.dimail_created_at is not None
    page = client.get("/domains/acme.fr/").get_data(as_text=True)
    assert "This mail platform (an older dimail) cannot report checks" in page

    client.post_form("/logout")
    staff = make_user("staff@example.org", superuser=True)
    client.post_form("/login", {"email": staff.email, "password": "correct-horse-battery"})
    assert client.post_form("/domains/acme.fr/status", {"status": "enabled"}).status_code == 303
    assert enabled_events == ["acme.fr"]


def test_check_now_is_for_administrators_and_refused_on_disabled_domains(
    client, make_user, make_domain, grant, login_as
):
    owner = make_user()
    make_domain("off.fr", owner=owner, status=DomainStatus.DISABLED)
    login_as(owner)
    response = client.post_form("/domains/off.fr/check", follow_redirects=False)
    assert response.status_code == 409
    assert "disabled domain is not checked" in response.get_data(as_text=True)


def test_periodic_checks_follow_the_cadence_of_each_status(app, make_domain):
    now = utcnow()
    due = make_domain("due.fr", status=DomainStatus.ACTION_REQUIRED)
    due.next_check_at = now - timedelta(minutes=1)
    later = make_domain("later.fr", status=DomainStatus.ENABLED)
    later.next_check_at = now + timedelta(days=3)
    off = make_domain("off.fr", status=DomainStatus.DISABLED)
    off.next_check_at = now - timedelta(days=1)
    db.session.commit()
    assert check_due_domains() == 1
    assert due.sync_requested_at is not None
    assert later.sync_requested_at is None and off.sync_requested_at is None
    assert check_due_domains() == 0  # already asked: not twice
    assert queue().count == 1


def test_next_check_is_scheduled_by_the_new_status(app, client, owner, dimail, run_jobs):
    create(client, "acme-dns.fr")
    run_jobs()
    domain = db.session.scalar(db.select(Domain).where(Domain.name == "acme-dns.fr"))
    delay = (domain.next_check_at - domain.last_check_at).total_seconds()
    assert delay == app.config["CHECK_EVERY"]["action_required"]


def test_the_periodic_checks_cost_as_many_queries_for_many_domains_as_for_few(app, make_domain):
    # An organisation has thousands of domains: one UPDATE per due domain would make each
    # minute's tick grow with them (bench/sync.py --database measures it at 2,000).
    def statements_to_ask(names: list[str]) -> int:
        for name in names:
            make_domain(name, status=DomainStatus.ENABLED)
        with recorded() as seen:
            assert check_due_domains() == len(names)
        return len(seen)

    few = statements_to_ask(["few0.fr", "few1.fr"])
    many = statements_to_ask([f"many{i}.fr" for i in range(30)])
    assert many == few
    assert queue().count == 32
    asked = db.session.scalars(db.select(Domain).where(Domain.sync_requested_at.is_not(None)))
    assert len(asked.all()) == 32

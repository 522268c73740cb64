"""Every error the dimail client can raise, raised inside every kind of job, ends with a reason
in plain words on the object's page, and no object left "syncing": transient causes are tried
again (all of RQ's tries) and then failed; permanent ones fail at once.

The jobs run in a real RQ worker; the client method each job calls first raises the error."""

import html
import inspect

import pytest

from webapp.dimail import client as dimail_client_module
from webapp.dimail.client import (
    ERROR_CLASSES,
    DimailAuthError,
    DimailBadAnswer,
    DimailClient,
    DimailConfigError,
    DimailConflict,
    DimailError,
    DimailNoGrant,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)
from webapp.extensions import db
from webapp.jobs.domain_status import change_status
from webapp.models import Alias, AliasStatus, Domain, DomainStatus, Mailbox, MailboxStatus, Role
from webapp.models.base import utcnow
from webapp.models.mailbox import name_key

# What the page must say for each class, and whether the job queue tries again.
EXPECTED = {
    DimailUnavailable: ("could not be reached", True),
    DimailAuthError: ("could not log in to the mail platform", True),
    DimailRejected: ("dimail refused", False),
    DimailNotFound: ("dimail refused", False),
    DimailConflict: ("dimail refused", False),
    DimailNoGrant: ("has no rights on this domain", False),
    DimailBadAnswer: ("cannot use", False),
    DimailNotSupported: ("does not offer", False),
    DimailConfigError: ("dimail settings are wrong", False),
    DimailError: ("cannot use", False),
    # Not the client's: a bug or a broken answer shape. Tried again, then failed, never silent.
    KeyError: ("unexpected error", True),
}


def test_the_table_holds_every_error_class_of_the_client():
    declared = {
        obj
        for obj in vars(dimail_client_module).values()
        if inspect.isclass(obj) and issubclass(obj, DimailError)
    }
    assert declared == set(ERROR_CLASSES)
    assert set(EXPECTED) - {KeyError} == declared


def _error(cls):
    if cls is KeyError:
        return KeyError("email")
    return cls("boom", 500 if cls is DimailUnavailable else 400, "POST", "/domains/")


def _ready_mailbox(domain) -> Mailbox:
    box = Mailbox(
        domain_id=domain.id, local_part="jane", first_name="Jane", last_name="Doe",
        name_key=name_key("Jane", "Doe"),
        secondary_email="jane@home.example", status=MailboxStatus.ENABLED,
        dimail_created_at=utcnow(), dimail_enabled=True, names_synced=True,
        confirmation_sent_at=utcnow(),
    )  # fmt: skip
    db.session.add(box)
    db.session.commit()
    return box


PERSON = {
    "first_name": "Jane",
    "last_name": "Doe",
    "local_part": "jane",
    "secondary_email": "jane@home.example",
}


def start_domain_sync(client, owner, make_domain):
    assert client.post_form("/domains/", {"name": "acme.fr", "support_email": "it@acme.fr"})
    return "create_domain", "/domains/acme.fr/", lambda: db.session.scalars(db.select(Domain))


def start_mailbox_sync(client, owner, make_domain):
    _enabled(make_domain, owner)
    assert client.post_form("/domains/acme.fr/mailboxes/", PERSON).status_code == 303
    return "create_mailbox", "/domains/acme.fr/mailboxes/jane/", _mailboxes


def start_alias_sync(client, owner, make_domain):
    _enabled(make_domain, owner)
    form = {"local_part": "contact", "destination": "desk@partner.example"}
    assert client.post_form("/domains/acme.fr/aliases/", form).status_code == 303
    return "create_alias", "/domains/acme.fr/aliases/", lambda: db.session.scalars(db.select(Alias))


def start_batch(client, owner, make_domain):
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    domain.dimail_created_at = utcnow()
    db.session.commit()
    for i in range(4):
        person = {**PERSON, "local_part": f"jane{i}", "first_name": f"Jane{i}"}
        assert client.post_form("/domains/acme.fr/mailboxes/", person).status_code == 303
    change_status(domain, DomainStatus.ENABLED, reason="test")  # queues the batch
    return "create_mailbox", "/domains/acme.fr/mailboxes/jane2/", _mailboxes


def start_reset(client, owner, make_domain):
    _ready_mailbox(_enabled(make_domain, owner))
    assert client.post_form("/domains/acme.fr/mailboxes/jane/reset-password").status_code == 303
    return "reset_password", "/domains/acme.fr/mailboxes/jane/", _mailboxes


def start_login_link(client, owner, make_domain):
    _ready_mailbox(_enabled(make_domain, owner))
    assert client.post_form("/domains/acme.fr/mailboxes/jane/login-link").status_code == 303
    return "login_code", "/domains/acme.fr/mailboxes/jane/", _mailboxes


def start_import(client, owner, make_domain):
    _enabled(make_domain, owner)
    assert client.post_form("/domains/acme.fr/import").status_code == 303
    # An older dimail has no v2 list: the import falls back to v1, which fails the same way.
    return ("list_mailboxes_v2", "list_mailboxes"), "/domains/acme.fr/mailboxes/", lambda: []


def _enabled(make_domain, owner):
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    domain.dimail_created_at = utcnow()
    db.session.commit()
    return domain


def _mailboxes():
    return db.session.scalars(db.select(Mailbox))


JOBS = {
    "domain sync": start_domain_sync,
    "mailbox sync": start_mailbox_sync,
    "alias sync": start_alias_sync,
    "batch": start_batch,
    "reset": start_reset,
    "login link": start_login_link,
    "import": start_import,
}


@pytest.mark.parametrize("error_class", list(EXPECTED), ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", list(JOBS))
def test_every_error_in_every_job_ends_with_a_reason_and_no_mark(
    app, client, owner, make_domain, run_jobs, outbox, monkeypatch, kind, error_class
):
    app.config["JOB_RETRY_INTERVALS"] = (0, 0)  # two retries: enough to see them
    method, page, rows = JOBS[kind](client, owner, make_domain)
    methods = (method,) if isinstance(method, str) else method
    calls = []

    def fail(self, *args, **kwargs):
        calls.append(args)
        raise _error(error_class)

    for name in methods:
        monkeypatch.setattr(DimailClient, name, fail)
    run = run_jobs()

    phrase, transient = EXPECTED[error_class]
    if kind == "alias sync" and error_class is DimailConflict:
        # dimail has that very pair already (an earlier answer was lost): that is success.
        assert [alias.status for alias in rows()] == [AliasStatus.ENABLED]
        return
    assert run.failed == []  # each job ended by recording its failure, not by crashing
    assert calls, f"{method} was never called"
    if transient and kind not in ("batch",):
        tries = len(app.config["JOB_RETRY_INTERVALS"]) + 1
        assert len(calls) == tries, "a transient cause is tried again, a bounded number of times"
    elif not transient:
        once = {"batch": 4, "import": 2 if error_class is DimailNotSupported else 1}
        assert len(calls) == once.get(kind, 1), "a permanent cause is not retried"
    db.session.expire_all()
    assert not any(row.syncing for row in rows()), "nothing may stay syncing"
    text = html.unescape(client.get(page).get_data(as_text=True))
    assert phrase in text, f"the page does not say why: {phrase!r}"


def test_batch_transient_faults_go_on_in_each_mailbox_own_job(
    app, client, owner, make_domain, run_jobs, outbox, monkeypatch
):
    start_batch(client, owner, make_domain)
    tried: dict[str, int] = {}

    def unreachable(self, domain, local_part, *args, **kwargs):
        tried[local_part] = tried.get(local_part, 0) + 1
        raise DimailUnavailable("timed out", None, "POST", "/domains/acme.fr/mailboxes/x")

    monkeypatch.setattr(DimailClient, "create_mailbox", unreachable)
    run_jobs()
    tries = len(app.config["JOB_RETRY_INTERVALS"]) + 1
    # One try in the batch, then every try of the mailbox's own job; after three faults in a
    # row the batch hands the rest over untried rather than wait on more timeouts.
    assert tried == {"jane0": 1 + tries, "jane1": 1 + tries, "jane2": 1 + tries, "jane3": tries}
    boxes = list(_mailboxes())
    assert {box.status for box in boxes} == {MailboxStatus.FAILED}
    assert all("press Retry" in str(box.last_error) for box in boxes)


def test_a_viewer_sees_the_reason_but_no_retry_button(
    app, client, owner, make_domain, make_user, grant, login_as, run_jobs, monkeypatch
):
    start_mailbox_sync(client, owner, make_domain)
    monkeypatch.setattr(
        DimailClient, "create_mailbox", lambda *a, **k: (_ for _ in ()).throw(DimailNoGrant("no"))
    )
    run_jobs()
    viewer = make_user("viewer@example.org")
    grant(viewer, db.session.scalar(db.select(Domain)), Role.VIEWER)
    login_as(viewer)
    text = html.unescape(client.get("/domains/acme.fr/mailboxes/jane/").get_data(as_text=True))
    assert "has no rights on this domain" in text
    assert "/mailboxes/jane/retry" not in text

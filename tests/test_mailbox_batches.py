"""Waiting mailboxes go to dimail in batch jobs once their domain is enabled: each created once,
a faulty one handed to its own job, a mailbox another job holds left alone, and what a lost
batch would have synced queued again by the reconciler."""

import pytest
from rq.registry import FinishedJobRegistry

from tests.faults.support import confirmations as confirmations_in
from tests.faults.support import create_mailboxes, expected_confirmations, mailbox_rows
from webapp.dimail.client import DimailClient, DimailUnavailable
from webapp.extensions import db
from webapp.jobs import mailboxes as mailbox_jobs
from webapp.jobs.domain_status import change_status
from webapp.jobs.mailboxes import batches, claims
from webapp.jobs.periodic import reconcile
from webapp.jobs.queue import queue
from webapp.jobs.waiting import queue_marked
from webapp.models import DomainStatus, Mailbox, MailboxStatus
from webapp.services import mailboxes as mailbox_service

COUNT = 12
CREATE = "POST /domains/{d}/mailboxes/{local_part}"


@pytest.fixture
def waiting(app, make_user, make_domain, dimail, monkeypatch):
    """A pending domain (known to dimail) with COUNT mailboxes waiting; batches of 5."""
    monkeypatch.setattr(batches, "SYNC_BATCH", 5)
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    domain = make_domain("acme.fr", owner=make_user("owner@example.org"))
    dimail.add_domain("acme.fr")
    create_mailboxes(domain, COUNT)
    queue().empty()  # the mailboxes' own jobs found the domain pending and did nothing
    return domain


def finished_job_ids() -> list[str]:
    return FinishedJobRegistry(queue=queue()).get_job_ids()


def all_enabled_once(dimail) -> bool:
    rows = mailbox_rows()
    return {box.status for box in rows} == {MailboxStatus.ENABLED} and dimail.creations(
        "mailbox:"
    ) == {f"mailbox:person{i:02}@acme.fr": 1 for i in range(COUNT)}


def test_enabling_queues_one_job_then_batches_that_create_each_mailbox_once(
    waiting, dimail, run_jobs, outbox
):
    change_status(waiting, DomainStatus.ENABLED, reason="set by hand")
    # The request itself queued only the job that queues the rest (and the status email).
    assert sorted(job_id.split("-")[0] for job_id in queue().get_job_ids()) == ["domain", "email"]
    assert all(box.syncing for box in mailbox_rows())

    assert run_jobs().failed == []
    assert all_enabled_once(dimail)
    assert dimail.requests(CREATE) == COUNT
    batches = [i for i in finished_job_ids() if i.startswith(mailbox_jobs.BATCH_JOB_PREFIX)]
    assert len(batches) == 3  # 12 mailboxes, 5 by 5
    assert not any(box.syncing or box.last_error for box in mailbox_rows())
    assert confirmations_in(outbox) == expected_confirmations(COUNT)


def failing_creations(monkeypatch, failures: int) -> list[str]:
    """Make the first `failures` creations fail as if dimail were unreachable."""
    failed = []
    real = DimailClient.create_mailbox

    def create(self, domain, local_part, **names):
        if len(failed) < failures:
            failed.append(local_part)
            raise DimailUnavailable("connection refused", None, "POST", "/mailboxes/")
        return real(self, domain, local_part, **names)

    monkeypatch.setattr(DimailClient, "create_mailbox", create)
    return failed


def test_a_mailbox_that_meets_a_fault_goes_on_in_its_own_job(
    waiting, dimail, run_jobs, outbox, monkeypatch
):
    failed = failing_creations(monkeypatch, failures=1)
    change_status(waiting, DomainStatus.ENABLED, reason="set by hand")
    assert run_jobs().failed == []

    assert failed == ["person00"]
    assert all_enabled_once(dimail)
    own = mailbox_jobs.sync_job_id(mailbox_rows()[0].id)
    assert own in finished_job_ids()
    # Only the faulty one needed a job of its own: the rest of its batch went on.
    assert [i for i in finished_job_ids() if i.startswith("mailbox-sync-")] == [own]
    assert confirmations_in(outbox) == expected_confirmations(COUNT)


def test_after_three_faults_in_a_row_a_batch_hands_the_rest_over(
    waiting, dimail, run_jobs, outbox, monkeypatch
):
    failed = failing_creations(monkeypatch, failures=3)
    change_status(waiting, DomainStatus.ENABLED, reason="set by hand")
    assert run_jobs().failed == []

    assert failed == ["person00", "person01", "person02"]
    assert all_enabled_once(dimail)
    # The first batch stopped at its third fault: its five mailboxes each ran in their own job.
    first_batch = [box.id for box in mailbox_rows()[:5]]
    own_jobs = {i for i in finished_job_ids() if i.startswith("mailbox-sync-")}
    assert own_jobs == {mailbox_jobs.sync_job_id(i) for i in first_batch}
    assert dimail.requests(CREATE) == COUNT  # the failed tries never reached dimail


def test_a_mailbox_another_job_holds_is_left_to_that_job(waiting, dimail):
    change_status(waiting, DomainStatus.ENABLED, reason="set by hand")
    rows = mailbox_rows()
    held = rows[3]
    assert claims.claim([held.id]) == [held.id]
    assert claims.claim([held.id]) == []  # one holder at a time
    try:
        result = mailbox_jobs.sync_mailboxes(waiting.id, [box.id for box in rows[:5]])
        assert result == "4 of 5 synced"
        with pytest.raises(mailbox_jobs.MailboxBusy):
            mailbox_jobs.sync_mailbox(held.id)
        assert f"mailbox:{held.local_part}@acme.fr" not in dimail.creations()
        db.session.rollback()
        assert db.session.get(type(held), held.id).syncing  # still marked: nothing is lost
    finally:
        claims.release([held.id])
    assert mailbox_jobs.sync_mailbox(held.id) == MailboxStatus.ENABLED
    assert dimail.creations(f"mailbox:{held.local_part}@") == {
        f"mailbox:{held.local_part}@acme.fr": 1
    }
    assert claims.claim([box.id for box in rows]) == [box.id for box in rows]  # all freed


def test_the_reconciler_leaves_queued_batches_alone_and_requeues_lost_ones(
    waiting, dimail, run_jobs, outbox
):
    change_status(waiting, DomainStatus.ENABLED, reason="set by hand")
    queue().empty()
    queue_marked(waiting.id)  # as its job would: the batches are now queued
    assert reconcile()["mailboxes"] == 0  # every marked mailbox is in a queued batch

    queue().empty()  # Redis lost them (flushed, or restarted without persistence)
    assert reconcile()["mailboxes"] == COUNT
    queued = queue().get_job_ids()
    assert len([i for i in queued if i.startswith(mailbox_jobs.BATCH_JOB_PREFIX)]) == 3
    # The email to the support address, lost with them, is owed too.
    assert len([i for i in queued if i.startswith("email-domain-status-")]) == 1

    assert run_jobs().failed == []
    assert all_enabled_once(dimail)
    assert reconcile()["mailboxes"] == 0


# ------------------------------------------------------- edits saved while a sync job runs


def edit_during_creation(app, monkeypatch, edit):
    """Run `edit(mailbox)` as another request would (its own app context and session), while
    the job is inside its creation call to dimail."""
    real = DimailClient.create_mailbox

    def create(self, domain, local_part, **names):
        answer = real(self, domain, local_part, **names)
        with app.app_context():
            edit(db.session.scalar(db.select(Mailbox).where(Mailbox.local_part == local_part)))
        return answer

    monkeypatch.setattr(DimailClient, "create_mailbox", create)


@pytest.fixture
def one_on_an_enabled_domain(app, make_user, make_domain, dimail):
    domain = make_domain("acme.fr", owner=make_user("owner@example.org"))
    domain.status = DomainStatus.ENABLED
    db.session.commit()
    dimail.add_domain("acme.fr")
    [box] = create_mailboxes(domain, 1)
    return box


def test_names_edited_while_the_mailbox_is_created_reach_dimail(
    app, one_on_an_enabled_domain, dimail, run_jobs, outbox, monkeypatch
):
    def rename(box):
        result = mailbox_service.update(
            box, {"first_name": "Renamed", "last_name": "Person", "secondary_email": ""},
            names_only=True,
        )  # fmt: skip
        assert result.ok, result.errors

    edit_during_creation(app, monkeypatch, rename)
    assert run_jobs().failed == []

    [box] = mailbox_rows()
    assert (box.first_name, box.status, box.syncing) == ("Renamed", MailboxStatus.ENABLED, False)
    assert box.names_synced
    created = dimail.state()["domains"]["acme.fr"]["mailboxes"]["person00"]
    assert (created["givenName"], created["surName"]) == ("Renamed", "Person")
    assert dimail.creations("mailbox:") == {"mailbox:person00@acme.fr": 1}
    assert dimail.requests("PATCH /domains/{d}/mailboxes/{local_part}") == 1


def test_a_disable_saved_while_the_mailbox_is_created_is_applied(
    app, one_on_an_enabled_domain, dimail, run_jobs, outbox, monkeypatch
):
    edit_during_creation(
        app, monkeypatch, lambda box: mailbox_service.set_enabled(box, enabled=False)
    )
    assert run_jobs().failed == []

    [box] = mailbox_rows()
    assert (box.status, box.enabled_wanted, box.syncing) == (MailboxStatus.DISABLED, False, False)
    assert dimail.state()["domains"]["acme.fr"]["mailboxes"]["person00"]["active"] is False
    assert dimail.creations("mailbox:") == {"mailbox:person00@acme.fr": 1}

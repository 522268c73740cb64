"""A worker process killed mid-batch (SIGKILL, as a crash or an OOM kill would) loses nothing,
and a new worker plus the reconciler finish the batch without creating or emailing anything
twice."""

import signal
import subprocess
import time

import pytest
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from tests.faults.support import (
    KillOnNthCreation,
    confirmations,
    create_mailboxes,
    expected_confirmations,
    mailbox_rows,
)
from webapp.jobs.domain_status import change_status
from webapp.jobs.mailboxes import BATCH_JOB_PREFIX, sync_job_id
from webapp.jobs.periodic import reconcile
from webapp.jobs.queue import queue
from webapp.models import DomainStatus, MailboxStatus

pytestmark = pytest.mark.faults

COUNT = 60
KILLED_AT = 25  # the worker dies during the 25th creation


def run_until_killed(app, dimail, workers) -> KillOnNthCreation:
    """Start a worker and kill it (SIGKILL) once the KILLED_AT-th mailbox exists in dimail,
    before it hears so. Each dimail call takes 30 ms, so the batch lasts long enough."""
    dimail.faults(latency_ms=30)
    first = None
    switch = KillOnNthCreation(KILLED_AT, kill=lambda: workers.kill(first))
    switch.install(dimail.app)
    first = workers.start(app.config)
    try:
        first.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker was not killed:\n{workers.output(first)}")
    assert first.returncode == -signal.SIGKILL
    return switch


def expire_claims(app) -> None:
    """The claims the dead job held expire with the job's timeout (and a little more): the
    jump in time the test makes for RQ is applied to them as well."""
    connection = queue().connection
    claims = connection.keys("webapp:lock:*")
    assert claims and all(
        0 < connection.ttl(key) <= app.config["JOB_TIMEOUT"] + 10 for key in claims
    )
    connection.delete(*claims)


def finish_with_a_new_worker(app, dimail, workers) -> None:
    """The reconciler, then a new worker until the queue is empty; nothing is left after."""
    dimail.faults(latency_ms=0)
    reconcile()
    second = workers.start(app.config, "--burst")
    try:
        second.wait(timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the second worker did not finish:\n{workers.output(second)}")
    assert second.returncode == 0, workers.output(second)
    assert not any(reconcile().values())  # nothing left for the reconciler


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(
    app, client, acme, dimail, outbox, workers
):
    create_mailboxes(acme, COUNT)
    assert [box.status for box in mailbox_rows()] == [MailboxStatus.PENDING] * COUNT

    switch = run_until_killed(app, dimail, workers)

    rows = mailbox_rows()
    enabled = [box.local_part for box in rows if box.status == MailboxStatus.ENABLED]
    assert 0 < len(enabled) < COUNT  # killed mid-batch
    assert len(enabled) == KILLED_AT - 1
    abandoned = next(box for box in rows if box.local_part == switch.killed_at)
    assert abandoned.status == MailboxStatus.PENDING and abandoned.syncing  # still marked
    assert dimail.creations(f"mailbox:{switch.killed_at}@") == {
        f"mailbox:{switch.killed_at}@acme.fr": 1
    }  # dimail has it, we do not know yet
    page = client.get(f"/domains/acme.fr/mailboxes/{switch.killed_at}/")
    assert page.status_code == 200 and "Talking to the mail platform" in page.get_data(as_text=True)

    # RQ still calls the abandoned job "started", and job_is_live counts started jobs as live:
    # the reconciler leaves it alone. The killed SimpleWorker registered that execution for the
    # job's timeout + 60 s; only then does a worker's maintenance (every 10 minutes) take it back
    # (re-queued while it has tries left, else failed, and then the reconciler re-enqueues it).
    # Nothing is lost meanwhile, the row stays marked: here RQ's clock is moved past that point.
    job_id = sync_job_id(abandoned.id)
    assert Job.fetch(job_id, connection=queue().connection).get_status() == JobStatus.STARTED
    registry = StartedJobRegistry(queue=queue())
    assert registry.get_job_ids(cleanup=False) == [job_id]
    registry.cleanup(timestamp=time.time() + app.config["JOB_TIMEOUT"] + 61)
    assert registry.get_job_ids(cleanup=False) == []
    assert queue().connection.keys("webapp:lock:*") == [f"webapp:lock:{job_id}".encode()]
    expire_claims(app)
    finish_with_a_new_worker(app, dimail, workers)

    rows = mailbox_rows()
    assert [box.local_part for box in rows] == [f"person{i:02}" for i in range(COUNT)]  # none lost
    assert {box.status for box in rows} == {MailboxStatus.ENABLED}
    assert not any(box.syncing or box.last_error or box.email_error for box in rows)
    creations = dimail.creations("mailbox:")
    assert creations == {f"mailbox:person{i:02}@acme.fr": 1 for i in range(COUNT)}  # none twice
    assert len(dimail.state()["domains"]["acme.fr"]["mailboxes"]) == COUNT
    # Asked once each, and once more for the abandoned one: recognised as ours, not remade.
    assert dimail.requests("POST /domains/{d}/mailboxes/{local_part}") == COUNT + 1
    assert confirmations(outbox) == expected_confirmations(COUNT)  # one email each
    assert len(outbox.messages) == COUNT

    page = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert f"{COUNT} mailboxes" in page and 'data-status="syncing"' not in page


def test_a_worker_killed_inside_a_batch_job_loses_nothing_and_repeats_nothing(
    app, client, owner, make_domain, dimail, outbox, workers
):
    """The same crash while the mailboxes that waited for their domain travel in batch jobs."""
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    domain = make_domain("acme.fr", owner=owner)  # pending: the mailboxes wait
    dimail.add_domain("acme.fr")
    create_mailboxes(domain, COUNT)
    queue().empty()  # their own jobs found the domain pending and had nothing to do
    change_status(domain, DomainStatus.ENABLED, reason="set by hand")

    run_until_killed(app, dimail, workers)

    rows = mailbox_rows()
    assert len([box for box in rows if box.status == MailboxStatus.ENABLED]) == KILLED_AT - 1
    assert all(box.syncing for box in rows if box.status == MailboxStatus.PENDING)
    page = client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert 'data-status="syncing"' in page  # the list says they are on their way

    # The dead batch job is "started" for RQ and its claims are held, until the job's timeout
    # (and a little more) has passed: moved past that point, as in the test above.
    [abandoned] = StartedJobRegistry(queue=queue()).get_job_ids(cleanup=False)
    assert abandoned.startswith(BATCH_JOB_PREFIX)
    StartedJobRegistry(queue=queue()).cleanup(
        timestamp=time.time() + app.config["JOB_TIMEOUT"] + 61
    )
    expire_claims(app)
    finish_with_a_new_worker(app, dimail, workers)

    rows = mailbox_rows()
    assert [box.local_part for box in rows] == [f"person{i:02}" for i in range(COUNT)]
    assert {box.status for box in rows} == {MailboxStatus.ENABLED}
    assert not any(box.syncing or box.last_error or box.email_error for box in rows)
    assert dimail.creations("mailbox:") == {
        f"mailbox:person{i:02}@acme.fr": 1 for i in range(COUNT)
    }
    assert confirmations(outbox) == expected_confirmations(COUNT)

"""Syncing many marked mailboxes of one domain in one job.

RQ's own cost per job is then paid once per batch, not once per mailbox. A mailbox that meets
a transient fault goes on in its own job (with its retries); after a few in a row dimail is
taken as down and the rest follow the same way, so a batch never spends its time waiting on
timeouts.
"""

import time
import uuid

from flask import current_app

from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.mailboxes.claims import claim, release
from webapp.jobs.mailboxes.sync import fail, sync_job_id, sync_mailbox, sync_one
from webapp.jobs.queue import enqueue_once, live_jobs
from webapp.messages import say
from webapp.models import Domain, DomainStatus, Mailbox

SYNC_BATCH = 50
BATCH_JOB_PREFIX = "mailbox-batch-"
FAULTS_BEFORE_GIVING_UP = 3
# How often a batch looks again at its domain's status. Not before every mailbox: that query
# (with the connection's check-out it brings) cost a third of a mailbox's own work on
# PostgreSQL (bench/sync.py); a domain disabled meanwhile sees at most a second of creations
# more, which it would have had anyway from a batch already sending.
STATUS_RECHECK_SECONDS = 1.0


def _record_batch_failure(
    exc: Exception, final: bool, domain_id: int, mailbox_ids: list[int]
) -> failures.Failure:
    """The batch itself failed (not one mailbox of it): its mailboxes that are still marked
    say why; they keep their marks, so their own jobs or the reconciler take them up again."""
    failure = failures.describe(exc, say("work.mailbox_batch"), final)
    db.session.execute(
        db.update(Mailbox)
        .where(Mailbox.id.in_(mailbox_ids), Mailbox.sync_requested_at.is_not(None))
        .values(last_error=failure.reason)
    )
    return failure


@job(on_failure=_record_batch_failure)
def sync_mailboxes(domain_id: int, mailbox_ids: list[int]) -> str:
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    if domain.status != DomainStatus.ENABLED:
        _unmark(mailbox_ids)  # still owed: sent when the domain is enabled (jobs/waiting.py)
        return "waiting for the domain"
    claimed = claim(mailbox_ids)  # the others are their own jobs' to sync
    session = db.session()
    # The batch's rows are read once, here, and not reloaded after each commit: a row edited
    # since is caught by its moved mark when its outcome is written (rows.py), and redone.
    session.expire_on_commit = False
    rows = {m.id: m for m in db.session.scalars(db.select(Mailbox).where(Mailbox.id.in_(claimed)))}
    handed: list[int] = []  # released already, now their own jobs': not to be released again
    try:
        synced = _sync_claimed_rows(dimail_client(), domain, claimed, rows, handed)
    finally:
        session.expire_on_commit = True
        kept = set(handed)
        release([i for i in claimed if i not in kept])
    return f"{synced} of {len(mailbox_ids)} synced"


def _sync_claimed_rows(client, domain: Domain, claimed: list[int], rows: dict, handed: list):
    """Sync the claimed mailboxes in order; returns how many were synced. Those handed over
    to their own jobs are added to `handed`."""
    synced = faults_in_a_row = 0
    checked_at = time.monotonic()  # the job read the status when it started
    for position, mailbox_id in enumerate(claimed):
        if time.monotonic() - checked_at >= STATUS_RECHECK_SECONDS:
            if not _still_enabled(domain.id):
                # Disabled (or found broken) mid-batch: the rest waits for the domain; their
                # differences stay owed and go when it is enabled again.
                _unmark(claimed[position:])
                break
            checked_at = time.monotonic()
        outcome = _sync_claimed(client, domain, rows.get(mailbox_id))
        if outcome is None:
            faults_in_a_row += 1
            handed += _hand_over(claimed[position : position + 1])
            if faults_in_a_row >= FAULTS_BEFORE_GIVING_UP:
                handed += _hand_over(claimed[position + 1 :])
                break
        elif outcome:
            synced += 1
            faults_in_a_row = 0
    return synced


def _still_enabled(domain_id: int) -> bool:
    status = db.session.scalar(db.select(Domain.status).where(Domain.id == domain_id))
    return status == DomainStatus.ENABLED


def _unmark(mailbox_ids: list[int]) -> None:
    db.session.execute(
        db.update(Mailbox)
        .where(Mailbox.id.in_(mailbox_ids))
        .values(sync_requested_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _sync_claimed(client, domain: Domain, mailbox: Mailbox | None) -> bool | None:
    """Sync one claimed mailbox of a batch: True when done, False when skipped, None on a
    transient fault (its error is recorded on the row, and its own job retries it)."""
    if mailbox is None or mailbox.sync_requested_at is None:
        return False  # removed, or done by another job before this batch claimed it
    try:
        sync_one(client, domain, mailbox)
    except Exception as exc:
        db.session.rollback()
        # Not final: a transient fault goes on in the mailbox's own job, with its retries.
        return None if fail(mailbox, exc, final=False).transient else True
    return True


def _hand_over(mailbox_ids: list[int]) -> list[int]:
    """Release these mailboxes and give each its own job; returns them."""
    release(mailbox_ids)
    for mailbox_id in mailbox_ids:
        retry_alone(mailbox_id)
    return mailbox_ids


def retry_alone(mailbox_id: int) -> None:
    """Hand a mailbox to its own job, after the first retry interval: its tries start there."""
    delay = current_app.config["JOB_RETRY_INTERVALS"][0]
    enqueue_once(sync_mailbox, mailbox_id, job_id=sync_job_id(mailbox_id), delay=delay)


def request_batch_sync(domain_id: int, mailbox_ids: list[int]) -> bool:
    """Queue marked mailboxes of one domain in batches; False when Redis is unreachable
    (their marks stay, the reconciler queues them)."""
    for start in range(0, len(mailbox_ids), SYNC_BATCH):
        batch = mailbox_ids[start : start + SYNC_BATCH]
        job_id = f"{BATCH_JOB_PREFIX}{domain_id}-{batch[0]}-{uuid.uuid4().hex[:8]}"
        if not enqueue_once(sync_mailboxes, domain_id, batch, job_id=job_id):
            return False
    return True


def batched_ids() -> set[int]:
    """Mailboxes that a waiting or running batch job will sync."""
    return {mailbox_id for batch in live_jobs(BATCH_JOB_PREFIX) for mailbox_id in batch.args[1]}

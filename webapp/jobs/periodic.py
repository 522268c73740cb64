"""Periodic work: re-checks by status, and the reconciler that re-enqueues what was left.

`tick` runs every minute from `flask --app webapp cron` (RQ's cron scheduler); the same
functions back the `check-domains` and `reconcile` commands.
"""

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError

from webapp.extensions import db
from webapp.jobs import aliases, domains, mailboxes
from webapp.jobs.context import job
from webapp.jobs.domain_status import NOTIFIED, status_email_job_id
from webapp.jobs.emails import send_domain_status_email
from webapp.jobs.mailboxes import confirmation_job_id, send_confirmation
from webapp.jobs.queue import enqueue_once, job_is_live
from webapp.models import Alias, Domain, DomainStatus, Mailbox
from webapp.models.alias import owed_clause as owed_alias
from webapp.models.base import utcnow
from webapp.models.bulk_import import purge_expired as purge_expired_previews
from webapp.models.login_throttle import purge_expired as purge_expired_throttles
from webapp.models.mailbox import owed_clause as owed_mailbox
from webapp.models.mailbox import unconfirmed_clause as unconfirmed_mailbox

log = logging.getLogger(__name__)
BATCH = 500
STATUS_EMAIL_DAYS = 2  # an older status change is not worth an email any more


def check_due_domains(force: bool = False) -> int:
    """Ask for a check of every domain whose next check is due (or all, with force).

    A fixed number of SQL statements whatever the number of domains: one read, one UPDATE
    for all the marks (not one per domain), then the jobs."""

    stmt = db.select(Domain.id).where(
        Domain.status != DomainStatus.DISABLED, Domain.sync_requested_at.is_(None)
    )
    if not force:
        stmt = stmt.where(db.or_(Domain.next_check_at.is_(None), Domain.next_check_at <= utcnow()))
    due = db.session.scalars(stmt.order_by(Domain.next_check_at).limit(BATCH)).all()
    if not due:
        return 0
    db.session.execute(
        db.update(Domain)
        .where(Domain.id.in_(due), Domain.sync_requested_at.is_(None))
        .values(sync_requested_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the marks first: if Redis fails now, the reconciler queues them
    for domain_id in due:
        if not enqueue_once(domains.sync_domain, domain_id, job_id=domains.sync_job_id(domain_id)):
            break  # Redis is down: the marks stay, the reconciler queues them
    return len(due)


def _synced_kinds():

    return (
        ("domains", Domain, domains.sync_domain, domains.sync_job_id),
        ("aliases", Alias, aliases.sync_alias, aliases.sync_job_id),
    )


def reconcile() -> dict[str, int]:
    """Enqueue every row still marked "to sync" whose job is gone (Redis was down, a crash...)."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["RECONCILE_AFTER_SECONDS"])
    owed = _mark_owed_work(cutoff)
    counts = {}
    for kind, model, func, job_id_of in _synced_kinds():
        stale = _stale(model, cutoff)
        counts[kind] = _queue_again((func, (i,), job_id_of(i)) for i in stale)
    counts["mailboxes"] = _stale_mailboxes(cutoff)
    counts["confirmations"] = _unsent_confirmations(cutoff)
    counts["status emails"] = _unsent_status_emails(cutoff)
    counts["owed, unmarked"] = owed
    if any(counts.values()):
        log.info("reconciler: re-enqueued %s", counts)
    return counts


def _mark_owed_work(cutoff) -> int:
    """Rows of enabled domains that dimail does not match yet and that nothing will sync: no
    mark, and no failure waiting for a person's Retry. Marked with `cutoff`, as if they had
    waited already, so that this same run queues them with the other stale rows. Read through
    the partial `ix_*_owed` indexes: the cost follows the owed rows, not the table."""

    marked = 0
    for model, owed in ((Mailbox, owed_mailbox()), (Alias, owed_alias())):
        ids = db.session.scalars(
            db.select(model.id)
            .join(Domain, Domain.id == model.domain_id)
            .where(
                owed,
                Domain.status == DomainStatus.ENABLED,
                model.sync_requested_at.is_(None),
                model.last_error.is_(None),
            )
            .limit(BATCH)
        ).all()
        if ids:
            db.session.execute(
                db.update(model)
                .where(model.id.in_(ids), model.sync_requested_at.is_(None))
                .values(sync_requested_at=cutoff)
                .execution_options(synchronize_session=False)
            )
            marked += len(ids)
    db.session.commit()
    return marked


def _stale(model, cutoff) -> list[int]:
    return db.session.scalars(
        db.select(model.id)
        .where(model.sync_requested_at.is_not(None), model.sync_requested_at <= cutoff)
        .order_by(model.sync_requested_at)
        .limit(BATCH)
    ).all()


def _stale_mailboxes(cutoff) -> int:
    """Marked mailboxes that no job will sync: queued again in batches, by domain."""

    stale = db.session.execute(
        db.select(Mailbox.id, Mailbox.domain_id)
        .where(Mailbox.sync_requested_at.is_not(None), Mailbox.sync_requested_at <= cutoff)
        .order_by(Mailbox.sync_requested_at)
        .limit(BATCH)
    ).all()
    if not stale:
        return 0
    try:
        batched = mailboxes.batched_ids()
    except RedisError:
        return 0  # Redis is down: next time
    by_domain: dict[int, list[int]] = {}
    for mailbox_id, domain_id in stale:
        if mailbox_id in batched or job_is_live(mailboxes.sync_job_id(mailbox_id)):
            continue
        by_domain.setdefault(domain_id, []).append(mailbox_id)
    queued = 0
    for domain_id, ids in by_domain.items():
        if not mailboxes.request_batch_sync(domain_id, ids):
            break
        queued += len(ids)
    return queued


def _unsent_confirmations(cutoff) -> int:
    """Confirmation emails whose every try failed (SMTP down for long): try again."""

    ids = db.session.scalars(
        db.select(Mailbox.id)
        .where(
            unconfirmed_mailbox(),  # through ix_mailboxes_unconfirmed
            Mailbox.dimail_created_at.is_not(None),
            Mailbox.dimail_created_at <= cutoff,
            Mailbox.sync_requested_at.is_(None),
        )
        .limit(BATCH)
    ).all()
    # Without the first password (it only lived in the lost job): a login link or a new one.
    return _queue_again((send_confirmation, (i, None), confirmation_job_id(i)) for i in ids)


def _unsent_status_emails(cutoff) -> int:
    """Status emails to support addresses whose job was lost or used up its tries (Redis or
    SMTP down for long): queued again, for changes of the last STATUS_EMAIL_DAYS only."""

    since = utcnow() - timedelta(days=STATUS_EMAIL_DAYS)
    owed = db.session.scalars(
        db.select(Domain)
        .where(
            Domain.status_email_due.is_(True),
            Domain.status.in_([status.value for status in NOTIFIED]),
            Domain.status_changed_at <= cutoff,
            Domain.status_changed_at >= since,
        )
        .limit(BATCH)
    ).all()
    return _queue_again(
        (send_domain_status_email, (d.id, d.status), status_email_job_id(d)) for d in owed
    )


def _queue_again(work) -> int:
    """Queue each (func, args, job_id) whose job is neither waiting nor running; returns how
    many were queued. Stops at the first failure: Redis is down, the next run tries again."""
    queued = 0
    for func, args, job_id in work:
        if job_is_live(job_id):
            continue
        if not enqueue_once(func, *args, job_id=job_id):
            break
        queued += 1
    return queued


@job
def tick() -> str:

    checks = check_due_domains()
    queued = reconcile()
    purged = purge_expired_throttles()
    previews = purge_expired_previews()
    return (
        f"{checks} check(s) asked, re-enqueued {queued}, {purged} old throttle count(s) and "
        f"{previews} abandoned import preview(s) purged"
    )

"""What waited for a domain goes to dimail the moment it becomes enabled, however that happens.

The request that enables a domain only marks the waiting rows (two statements, whatever their
number) and queues one job; that job queues the work, mailboxes in batches. If Redis fails on
the way, the marks stay and the reconciler queues them.
"""

import uuid

from webapp.extensions import db
from webapp.jobs.context import job
from webapp.models import Alias, AliasStatus, Mailbox, MailboxStatus
from webapp.models.base import utcnow
from webapp.services.domain_status import domain_enabled


def send_what_waited(sender, domain) -> bool:
    """Mark what waited and queue the job that sends it; False when Redis is unreachable."""
    from webapp.jobs.queue import enqueue_once

    now = utcnow()
    db.session.execute(
        db.update(Mailbox)
        .where(
            Mailbox.domain_id == domain.id,
            Mailbox.status == MailboxStatus.PENDING,
            Mailbox.dimail_created_at.is_(None),
        )
        .values(sync_requested_at=now)
    )
    db.session.execute(
        db.update(Alias)
        .where(
            Alias.domain_id == domain.id,
            Alias.status.in_((AliasStatus.PENDING, AliasStatus.DELETING)),
        )
        .values(sync_requested_at=now)
    )
    db.session.commit()
    return enqueue_once(
        queue_marked, domain.id, job_id=f"domain-send-waiting-{domain.id}-{uuid.uuid4()}"
    )


@job
def queue_marked(domain_id: int) -> str:
    """Queue the sync of every row of the domain marked "to sync"."""
    from webapp.jobs import aliases as alias_jobs
    from webapp.jobs import mailboxes as mailbox_jobs
    from webapp.jobs.queue import enqueue_once

    mailbox_ids = db.session.scalars(
        db.select(Mailbox.id)
        .where(Mailbox.domain_id == domain_id, Mailbox.sync_requested_at.is_not(None))
        .order_by(Mailbox.id)
    ).all()
    alias_ids = db.session.scalars(
        db.select(Alias.id)
        .where(Alias.domain_id == domain_id, Alias.sync_requested_at.is_not(None))
        .order_by(Alias.id)
    ).all()
    if not mailbox_jobs.request_batch_sync(domain_id, list(mailbox_ids)):
        raise ConnectionError("Redis is unreachable")  # retried; the marks stay meanwhile
    for alias_id in alias_ids:
        job_id = alias_jobs.sync_job_id(alias_id)
        if not enqueue_once(alias_jobs.sync_alias, alias_id, job_id=job_id):
            raise ConnectionError("Redis is unreachable")
    return f"{len(mailbox_ids)} mailbox(es) and {len(alias_ids)} alias(es) queued"


def connect() -> None:
    domain_enabled.connect(send_what_waited)

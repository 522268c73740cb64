"""What waited for a domain goes to dimail the moment it becomes enabled, however that happens.

What waited is every difference between what a row wants and what dimail has (`owed_clause`
of each model): a mailbox to create, but also names edited, a mailbox disabled or enabled, an
alias destination added or removed while the domain was not enabled. The request that enables
a domain only marks those rows (two statements, whatever their number) and queues one job;
that job queues the work, mailboxes in batches. If Redis fails on the way, the marks stay and
the reconciler queues them; if the process dies before marking, the reconciler finds the owed
rows of enabled domains by itself.
"""

import uuid

from webapp.extensions import db
from webapp.jobs import aliases as alias_jobs
from webapp.jobs import mailboxes as mailbox_jobs
from webapp.jobs.context import job
from webapp.jobs.domain_status import domain_enabled
from webapp.jobs.queue import enqueue_once
from webapp.models import Alias, Mailbox
from webapp.models.alias import owed_clause as owed_alias
from webapp.models.base import utcnow
from webapp.models.mailbox import owed_clause as owed_mailbox


def send_what_waited(sender, domain) -> bool:
    """Mark what waited and queue the job that sends it; False when Redis is unreachable."""

    mark_owed(domain.id)
    db.session.commit()
    return enqueue_once(
        queue_marked, domain.id, job_id=f"domain-send-waiting-{domain.id}-{uuid.uuid4()}"
    )


def mark_owed(domain_id: int) -> None:
    """Mark every row of the domain that dimail does not match yet (not committed)."""
    now = utcnow()
    db.session.execute(
        db.update(Mailbox)
        .where(Mailbox.domain_id == domain_id, owed_mailbox())
        .values(sync_requested_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        db.update(Alias)
        .where(Alias.domain_id == domain_id, owed_alias())
        .values(sync_requested_at=now)
        .execution_options(synchronize_session=False)
    )


@job
def queue_marked(domain_id: int) -> str:
    """Queue the sync of every row of the domain marked "to sync"."""

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

"""What waited for a domain goes to dimail the moment it becomes enabled, however that happens."""

from webapp.extensions import db
from webapp.models import Alias, AliasStatus, Mailbox, MailboxStatus
from webapp.models.base import utcnow
from webapp.services.domain_status import domain_enabled


def send_what_waited(sender, domain) -> None:
    from webapp.jobs import aliases as alias_jobs
    from webapp.jobs import mailboxes as mailbox_jobs
    from webapp.jobs.queue import enqueue_once

    now = utcnow()
    mailbox_ids = db.session.scalars(
        db.select(Mailbox.id).where(
            Mailbox.domain_id == domain.id,
            Mailbox.status == MailboxStatus.PENDING,
            Mailbox.dimail_created_at.is_(None),
        )
    ).all()
    alias_ids = db.session.scalars(
        db.select(Alias.id).where(
            Alias.domain_id == domain.id,
            Alias.status.in_((AliasStatus.PENDING, AliasStatus.DELETING)),
        )
    ).all()
    # Marked first, in one statement each and committed: if Redis fails below, the reconciler
    # finds them.
    if mailbox_ids:
        db.session.execute(
            db.update(Mailbox).where(Mailbox.id.in_(mailbox_ids)).values(sync_requested_at=now)
        )
    if alias_ids:
        db.session.execute(
            db.update(Alias).where(Alias.id.in_(alias_ids)).values(sync_requested_at=now)
        )
    db.session.commit()
    work = [(mailbox_jobs.sync_mailbox, i, mailbox_jobs.sync_job_id(i)) for i in mailbox_ids]
    work += [(alias_jobs.sync_alias, i, alias_jobs.sync_job_id(i)) for i in alias_ids]
    for func, object_id, job_id in work:
        if not enqueue_once(func, object_id, job_id=job_id):
            break  # Redis is down: the reconciler sends the rest, they are all marked


def connect() -> None:
    domain_enabled.connect(send_what_waited)

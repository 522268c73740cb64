"""Every change of a domain's status goes through here, whichever way it happens.

After the change is committed: the support email is told (through a job), and when the domain
becomes enabled the `domain_enabled` signal fires, so that what was waiting for it (mailboxes,
aliases) is sent to dimail. Receivers connect to the signal; this module knows none of them.
"""

import logging

from blinker import Namespace
from flask import current_app
from sqlalchemy.orm.attributes import set_committed_value

from webapp import audit
from webapp.extensions import db
from webapp.jobs.emails import send_domain_status_email
from webapp.jobs.queue import enqueue_once
from webapp.messages import Said, say
from webapp.models import Domain, DomainStatus
from webapp.models.base import utcnow

log = logging.getLogger(__name__)
signals = Namespace()
domain_enabled = signals.signal("domain-enabled")

# Statuses that mean something to the support address.
NOTIFIED = {DomainStatus.ENABLED, DomainStatus.ACTION_REQUIRED, DomainStatus.FAILED}


class StatusChangedMeanwhile(Exception):  # noqa: N818 - an outcome, not a fault
    """The domain's status is no longer the one the caller started from (a superuser set it
    while a check ran): the caller's change is not applied; the newer status stands."""


def change_status(
    domain: Domain,
    new_status: DomainStatus,
    *,
    reason: Said | str | None = None,
    expected: DomainStatus | None = None,
) -> bool:
    """Set the status. Side effects run after the commit. Returns False when the work that
    follows the change (emails, what waited for the domain) could not be queued because Redis
    is unreachable: it is recorded as owed, and the reconciler queues it later.

    `reason` says why, for the audit log: the check's outcome, dimail's refusal, set by hand.
    The log entry is committed with the change.

    `expected`: the status the caller's decision was based on (a job that read it before its
    dimail calls). The change is then a compare-and-set, one conditional UPDATE: if the status
    moved meanwhile, StatusChangedMeanwhile is raised and nothing of the change is written.
    """
    new_status = DomainStatus(new_status)
    old_status = DomainStatus(expected if expected is not None else domain.status)
    if expected is not None:
        _compare_and_set(domain, old_status, new_status)
    if old_status == new_status:
        db.session.commit()
        return True
    domain.status = new_status
    domain.status_changed_at = utcnow()
    domain.status_email_due = new_status in NOTIFIED
    statuses = {
        "old": say(f"domain_status.{old_status}"),
        "new": say(f"domain_status.{new_status}"),
    }
    said = (
        say("audit.domain_status_because", **statuses, reason=reason)
        if reason
        else say("audit.domain_status", **statuses)
    )
    audit.record(domain, "domain.status", said, target=domain.unicode_name)
    db.session.commit()
    log.info("domain %s: %s -> %s", domain.name, old_status, new_status)
    return _after_change(domain, new_status)


def _compare_and_set(domain: Domain, expected: DomainStatus, new: DomainStatus) -> None:
    """Claim the change in the database: the UPDATE matches only while the status is still
    `expected` (and locks the row until the commit), so a status set meanwhile always wins."""
    values = {"status": expected.value}
    if new != expected:
        values = {
            "status": new.value,
            "status_changed_at": utcnow(),
            "status_email_due": new in NOTIFIED,
        }
    claimed = db.session.execute(
        db.update(Domain)
        .where(Domain.id == domain.id, Domain.status == expected.value)
        .values(values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        db.session.refresh(domain)
        raise StatusChangedMeanwhile(f"{domain.name} is {domain.status} now, not {expected}")
    # The object is told what the row now holds, so the ORM does not write it again.
    for name, value in values.items():
        set_committed_value(domain, name, value)


def _after_change(domain: Domain, new: DomainStatus) -> bool:
    queued = True
    if new in NOTIFIED:
        queued = enqueue_once(
            send_domain_status_email, domain.id, new.value, job_id=status_email_job_id(domain)
        )
    if new == DomainStatus.ENABLED:
        answers = domain_enabled.send(current_app._get_current_object(), domain=domain)
        queued = all(answer is not False for _, answer in answers) and queued
    return queued


def status_email_job_id(domain: Domain) -> str:
    """One id per change of status: the reconciler, queueing an email whose job was lost, uses
    the same id, so it never queues it beside a job that still waits."""
    changed = domain.status_changed_at.strftime("%Y%m%dT%H%M%S%f")
    return f"email-domain-status-{domain.id}-{domain.status}-{changed}"


def next_check_delay(status: str) -> int:
    return current_app.config["CHECK_EVERY"].get(str(status), 3600)

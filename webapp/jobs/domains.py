"""Jobs that bring a domain to dimail and read its checks back.

Each job takes an id, reloads the row and can run any number of times: a domain dimail already
has (409) is not created again, and checks only read.
"""

import logging
from datetime import timedelta

from webapp import audit
from webapp.dimail import checks as dimail_checks
from webapp.dimail.client import DimailConflict, DimailNotSupported, DimailRejected
from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.domain_status import (
    StatusChangedMeanwhile,
    change_status,
    next_check_delay,
)
from webapp.jobs.queue import enqueue_marked
from webapp.messages import Said, say
from webapp.models import Domain, DomainStatus
from webapp.models.base import utcnow

log = logging.getLogger(__name__)

FEATURES = ("webmail", "mailbox", "alias")
# What dimail says when the very domain we asked for is there already (an earlier lost answer).
ALREADY_EXISTS = "Domain already exists"


def sync_job_id(domain_id: int) -> str:
    return f"domain-sync-{domain_id}"


def request_sync(domain: Domain) -> bool:
    return enqueue_marked(domain, sync_domain, sync_job_id(domain.id))


def _record_failure(exc: Exception, final: bool, domain_id: int) -> failures.Failure:
    """The reason goes on the domain's page. When no retry follows, the mark is cleared: a
    domain never created, or refused for good, is **failed** ("Check now" retries); a check of
    a domain that had a status already, which only met an outage, keeps that status."""
    domain = db.session.get(Domain, domain_id)
    created = domain is not None and domain.dimail_created_at is not None
    what = say("work.domain_check" if created else "work.domain_creation")
    # The domain page's button says Retry for a domain dimail never had, Check now otherwise.
    again = say("again.check_now" if created else "again.retry")
    failure = failures.describe(exc, what, final, again=again)
    if domain is None:
        return failure
    domain.last_error = failure.reason
    if not failure.final:
        return failure
    domain.sync_requested_at = None
    status = DomainStatus(domain.status)
    if status == DomainStatus.DISABLED or (failure.transient and status != DomainStatus.PENDING):
        new_status = status
    else:
        new_status = DomainStatus.FAILED
    domain.next_check_at = utcnow() + timedelta(seconds=next_check_delay(new_status))
    try:
        change_status(domain, new_status, reason=failure.cause, expected=status)
    except StatusChangedMeanwhile:
        _status_set_meanwhile(domain_id)
    return failure


def _status_set_meanwhile(domain_id: int) -> str:
    """A superuser (or another job) set the status while this job ran: theirs stands; only
    the mark of this run goes."""
    db.session.execute(
        db.update(Domain).where(Domain.id == domain_id).values(sync_requested_at=None)
    )
    db.session.commit()
    return "status set meanwhile: kept"


@job(on_failure=_record_failure)
def sync_domain(domain_id: int) -> str:
    """Create the domain in dimail if needed, then check it and set its status."""
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    if domain.status == DomainStatus.DISABLED:
        domain.sync_requested_at = None
        db.session.commit()
        return "disabled: not checked"
    started = DomainStatus(domain.status)  # what this run's outcome is decided against
    client = dimail_client()
    if domain.dimail_created_at is None:
        create_in_dimail(client, domain)
    try:
        return _check(client, domain, started)
    except StatusChangedMeanwhile:
        return _status_set_meanwhile(domain_id)


def create_in_dimail(client, domain: Domain) -> None:
    """Create the domain in dimail (409 on the very domain we asked for counts as done) and
    record it, committed."""
    try:
        client.create_domain(domain.name, context_name=domain.name, features=FEATURES)
    except DimailConflict as exc:
        if exc.detail != ALREADY_EXISTS:
            raise  # a conflict of another kind (the webmail context): the wrapper says which
        # Already there, from an earlier run of this job whose answer was lost: fine if it is
        # the domain we asked for.
        existing = client.get_domain(domain.name)
        if existing.get("name") != domain.name or set(FEATURES) - set(existing.get("features", [])):
            raise DimailRejected(
                "dimail already has this domain with other settings "
                f"(features: {', '.join(existing.get('features', [])) or 'none'})",
                409,
            ) from None
    domain.dimail_created_at = utcnow()
    db.session.commit()


def _check(client, domain: Domain, started: DomainStatus) -> str:
    now = utcnow()
    try:
        result = client.check_domain(domain.name)
    except DimailNotSupported:
        # An older dimail: it cannot report checks; the status stays, staff set it by hand.
        domain.checks_supported = False
        _finish(domain, now, started)
        return "checks not supported"
    checks = dimail_checks.read_checks(result)
    outcome = dimail_checks.outcome(result, checks)
    if outcome == dimail_checks.Outcome.INTERNAL:
        try:
            result = client.fix_domain(domain.name)
        except DimailNotSupported:
            pass  # nothing to repair with: the platform's staff must act (failed)
        else:
            checks = dimail_checks.read_checks(result)
            outcome = dimail_checks.outcome(result, checks)
    try:
        domain.dns_records = client.domain_spec(domain.name)
    except DimailNotSupported:
        domain.dns_records = None
    failing_before = _failing(domain.checks)
    domain.checks = checks
    domain.checks_supported = True
    new_status = {
        dimail_checks.Outcome.OK: DomainStatus.ENABLED,
        dimail_checks.Outcome.EXTERNAL: DomainStatus.ACTION_REQUIRED,
        dimail_checks.Outcome.INTERNAL: DomainStatus.FAILED,
    }[outcome]
    summary = check_summary(outcome, checks)
    if new_status == started and _failing(checks) != failing_before:
        # Same status, other findings (a record fixed, another broken): the log says so; a
        # check that finds what the last one found writes nothing.
        audit.record(
            domain, "domain.checked", say("audit.domain_checked", summary=summary),
            target=domain.unicode_name,
        )  # fmt: skip
    _finish(domain, now, started, new_status, reason=summary)
    return new_status.value


def _failing(checks: list[dict] | None) -> set[str]:
    return {check["name"] for check in checks or () if not check.get("ok")}


def check_summary(outcome: dimail_checks.Outcome, checks: list[dict]) -> Said:
    """The check's outcome in a few words, for the audit log: "2 DNS checks failing: mx, spf"."""
    if outcome == dimail_checks.Outcome.OK:
        return say("check.all_pass")
    internal = outcome == dimail_checks.Outcome.INTERNAL
    failing = [c["name"] for c in checks if not c["ok"] and c["internal"] == internal]
    if not failing:
        return say("check.platform_problem")
    which = "platform" if internal else "dns"
    if len(failing) == 1:
        return say(f"check.{which}_failing_one", names=failing[0])
    return say(f"check.{which}_failing", count=len(failing), names=", ".join(failing))


def _finish(
    domain: Domain,
    checked_at,
    started: DomainStatus,
    new_status: DomainStatus | None = None,
    reason: Said | None = None,
) -> None:
    status = new_status or started
    domain.last_check_at = checked_at
    domain.last_error = None
    domain.sync_requested_at = None
    domain.next_check_at = checked_at + timedelta(seconds=next_check_delay(status))
    change_status(domain, status, reason=reason, expected=started)

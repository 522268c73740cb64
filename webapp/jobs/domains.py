"""Jobs that bring a domain to dimail and read its checks back.

Each job takes an id, reloads the row and can run any number of times: a domain dimail already
has (409) is not created again, and checks only read.
"""

import logging
from datetime import timedelta

from webapp.dimail import checks as dimail_checks
from webapp.dimail.client import (
    DimailAuthError,
    DimailConflict,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)
from webapp.extensions import db
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import mark_and_enqueue
from webapp.models import Domain, DomainStatus
from webapp.models.base import utcnow
from webapp.services.domain_status import change_status, next_check_delay

log = logging.getLogger(__name__)

FEATURES = ("webmail", "mailbox", "alias")
UNREACHABLE = "The mail platform could not be reached ({detail}). It is tried again automatically."
BAD_CREDENTIALS = (
    "This application could not log in to the mail platform (dimail refused its credentials). "
    "The platform's staff must check DIMAIL_USER and DIMAIL_PASSWORD; it is tried again "
    "automatically."
)


def sync_job_id(domain_id: int) -> str:
    return f"domain-sync-{domain_id}"


def request_sync(domain: Domain) -> bool:
    return mark_and_enqueue(domain, sync_domain, sync_job_id(domain.id))


@job
def sync_domain(domain_id: int) -> str:
    """Create the domain in dimail if needed, then check it and set its status."""
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    if domain.status == DomainStatus.DISABLED:
        domain.sync_requested_at = None
        db.session.commit()
        return "disabled: not checked"
    client = dimail_client()
    try:
        if domain.dimail_created_at is None:
            _create(client, domain)
        return _check(client, domain)
    except (DimailUnavailable, DimailAuthError) as exc:
        # Transient: keep the mark, say why on the page, and let RQ retry with backoff.
        domain.last_error = (
            BAD_CREDENTIALS if isinstance(exc, DimailAuthError) else UNREACHABLE.format(detail=exc)
        )
        db.session.commit()
        raise
    except DimailRejected as exc:
        # Permanent: dimail said no. Keep its words; "Check now" retries by hand.
        domain.last_error = f"dimail refused: {exc.detail or exc.status}"
        domain.sync_requested_at = None
        domain.next_check_at = utcnow() + timedelta(seconds=next_check_delay(DomainStatus.FAILED))
        change_status(domain, DomainStatus.FAILED, reason=domain.last_error)
        return "failed"


def _create(client, domain: Domain) -> None:
    try:
        client.create_domain(domain.name, context_name=domain.name, features=FEATURES)
    except DimailConflict:
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


def _check(client, domain: Domain) -> str:
    now = utcnow()
    try:
        result = client.check_domain(domain.name)
    except DimailNotSupported:
        # An older dimail: it cannot report checks; the status stays, staff set it by hand.
        domain.checks_supported = False
        _finish(domain, now)
        return "checks not supported"
    checks = dimail_checks.read_checks(result)
    outcome = dimail_checks.outcome(result, checks)
    if outcome == dimail_checks.Outcome.INTERNAL:
        result = client.fix_domain(domain.name)
        checks = dimail_checks.read_checks(result)
        outcome = dimail_checks.outcome(result, checks)
    try:
        domain.dns_records = client.domain_spec(domain.name)
    except DimailNotSupported:
        domain.dns_records = None
    domain.checks = checks
    domain.checks_supported = True
    new_status = {
        dimail_checks.Outcome.OK: DomainStatus.ENABLED,
        dimail_checks.Outcome.EXTERNAL: DomainStatus.ACTION_REQUIRED,
        dimail_checks.Outcome.INTERNAL: DomainStatus.FAILED,
    }[outcome]
    _finish(domain, now, new_status, reason=check_summary(outcome, checks))
    return new_status.value


def check_summary(outcome: dimail_checks.Outcome, checks: list[dict]) -> str:
    """The check's outcome in a few words, for the audit log: "2 DNS checks failing: mx, spf"."""
    if outcome == dimail_checks.Outcome.OK:
        return "all checks pass"
    internal = outcome == dimail_checks.Outcome.INTERNAL
    failing = [c["name"] for c in checks if not c["ok"] and c["internal"] == internal]
    if not failing:
        return "dimail reports a problem on the platform's side"
    what = "platform" if internal else "DNS"
    plural = "s" if len(failing) != 1 else ""
    return f"{len(failing)} {what} check{plural} failing: {', '.join(failing)}"


def _finish(
    domain: Domain, checked_at, new_status: DomainStatus | None = None, reason: str = ""
) -> None:
    status = new_status or DomainStatus(domain.status)
    domain.last_check_at = checked_at
    domain.last_error = None
    domain.sync_requested_at = None
    domain.next_check_at = checked_at + timedelta(seconds=next_check_delay(status))
    change_status(domain, status, reason=reason)

"""Mail domains: creation, listing with counts, and status changes by hand."""

import contextlib
from dataclasses import dataclass, replace
from datetime import timedelta

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from webapp import audit
from webapp.extensions import db
from webapp.jobs.domains import request_sync
from webapp.jobs.queue import enqueue_once
from webapp.models import Alias, Domain, DomainAccess, DomainStatus, MailboxCount, Role, User
from webapp.models.base import utcnow
from webapp.pagination import paginate_rows
from webapp.services.domain_status import change_status, next_check_delay
from webapp.services.results import Result
from webapp.validators import (
    InvalidValue,
    normalise_domain_name,
    normalise_email_address,
    normalise_new_domain_name,
)

DUPLICATE_NAME = "This domain is already registered here."
FOLLOW_UP_LATER = (
    "The background queue cannot be reached right now, so the emails and the mailboxes that "
    "waited for this domain leave as soon as it is back; nothing is lost."
)
QUEUE_DOWN = (
    "The background queue cannot be reached right now, so nothing is lost: it is sent to the "
    "mail platform as soon as the queue is back."
)


def create_domain(name: str, support_email: str, actor: User) -> Result:
    errors = {}
    try:
        ascii_name = normalise_new_domain_name(name)
    except InvalidValue as exc:
        errors["name"] = str(exc)
    try:
        email = normalise_email_address(support_email)
    except InvalidValue as exc:
        errors["support_email"] = str(exc)
    if errors:
        return Result.failure(**errors)

    if db.session.scalar(db.select(Domain.id).where(Domain.name == ascii_name)) is not None:
        return Result.failure(name=DUPLICATE_NAME)

    domain = Domain(name=ascii_name, support_email=email, status=DomainStatus.PENDING)
    db.session.add(domain)
    db.session.add(DomainAccess(domain=domain, user_id=actor.id, role=Role.OWNER))
    try:
        db.session.flush()  # the domain's id, for its first log entry
        audit.record(
            domain,
            "domain.created",
            f"Domain {domain.unicode_name} created, with support email {email}.",
            target=domain.unicode_name,
            actor=actor,
        )
        db.session.commit()
    except IntegrityError:
        # Another request registered the same name between our check and our insert.
        db.session.rollback()
        return Result.failure(name=DUPLICATE_NAME)
    if not request_sync(domain):
        return Result.success(
            domain, f"The domain {domain.unicode_name} was created. {QUEUE_DOWN}", "warning"
        )
    return Result.success(
        domain,
        f"The domain {domain.unicode_name} was created. It is being set up on the mail platform.",
    )


def request_check(domain: Domain) -> Result:
    """ "Check now": ask dimail again (also the retry after a failure)."""
    if domain.status == DomainStatus.DISABLED:
        return Result.failure("A disabled domain is not checked. Platform staff can enable it.")
    if not request_sync(domain):
        return Result.success(domain, f"The check is recorded. {QUEUE_DOWN}", "warning")
    return Result.success(domain, "A new check has started.")


def request_import(domain: Domain, actor: User | None = None) -> Result:
    """Queue an import; `actor` (default: the logged-in user) is named in the audit log."""
    from webapp.jobs.imports import import_from_dimail

    if domain.status != DomainStatus.ENABLED:
        return Result.failure("Only an enabled domain can be imported from the mail platform.")
    asked_by = getattr(actor or _logged_in_user(), "id", None)
    if not enqueue_once(import_from_dimail, domain.id, asked_by, job_id=f"import-{domain.id}"):
        return Result.failure("The background queue cannot be reached; try again in a moment.")
    return Result.success(
        domain, "The import has started; what the mail platform has appears in a moment."
    )


def _logged_in_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def set_status(domain: Domain, status: str, actor: User) -> Result:
    try:
        new_status = DomainStatus(status)
    except ValueError:
        return Result.failure(status="Choose one of the listed statuses.")
    if new_status == domain.status:
        return Result.success(domain, f"The domain is already {new_status.label.lower()}.")
    # Set by hand: the next periodic check comes after the usual delay for the new status.
    domain.next_check_at = utcnow() + timedelta(seconds=next_check_delay(new_status))
    done = f"The domain is now {new_status.label.lower()}."
    if not change_status(domain, new_status, reason="set by hand"):
        return Result.success(domain, f"{done} {FOLLOW_UP_LATER}", "warning")
    return Result.success(domain, done)


@dataclass(frozen=True)
class DomainRow:
    domain: Domain
    role: Role | None
    collaborators: int
    mailboxes: int = 0
    aliases: int = 0


def list_domains(user: User, query: str = "", page: int = 1, per_page: int = 50):
    """The domains a user can see, with the counts the list shows, in a fixed number of queries."""
    collaborators = (
        db.select(func.count(DomainAccess.id))
        .where(DomainAccess.domain_id == Domain.id)
        .correlate(Domain)
        .scalar_subquery()
    )
    my_role = (
        db.select(DomainAccess.role)
        .where(DomainAccess.domain_id == Domain.id, DomainAccess.user_id == user.id)
        .correlate(Domain)
        .scalar_subquery()
    )
    mailboxes = (
        db.select(func.coalesce(func.sum(MailboxCount.n), 0))
        .where(MailboxCount.domain_id == Domain.id)
        .correlate(Domain)
        .scalar_subquery()
    )
    aliases = (
        db.select(func.count(func.distinct(Alias.local_part)))
        .where(Alias.domain_id == Domain.id)
        .correlate(Domain)
        .scalar_subquery()
    )
    where = []
    if not user.is_superuser:
        where.append(
            Domain.id.in_(db.select(DomainAccess.domain_id).where(DomainAccess.user_id == user.id))
        )
    query = (query or "").strip().lower()
    if query:
        terms = {query}
        with contextlib.suppress(InvalidValue):
            terms.add(normalise_domain_name(query))
        where.append(db.or_(*(Domain.name.contains(t, autoescape=True) for t in terms)))
    # Counted without the per-row counts: only the page's rows need them.
    total = db.session.scalar(db.select(func.count(Domain.id)).where(*where))
    stmt = db.select(
        Domain,
        my_role.label("role"),
        collaborators.label("collaborators"),
        mailboxes.label("mailboxes"),
        aliases.label("aliases"),
    ).where(*where)
    result = paginate_rows(stmt, page, per_page, total=total, order=(Domain.name,))
    items = [
        DomainRow(domain=d, role=Role(r) if r else None, collaborators=c, mailboxes=m, aliases=a)
        for d, r, c, m, a in result.items
    ]
    return replace(result, items=items)


def collaborators(domain: Domain) -> list[tuple[User, Role]]:
    rows = db.session.execute(
        db.select(User, DomainAccess.role)
        .join(DomainAccess, DomainAccess.user_id == User.id)
        .where(DomainAccess.domain_id == domain.id)
        .order_by(User.email)
    ).all()
    return [(user, Role(role)) for user, role in rows]


def counts(domain: Domain) -> dict[str, int]:
    """Mailboxes, aliases and collaborators of one domain, in one query."""
    row = db.session.execute(
        db.select(
            db.select(func.coalesce(func.sum(MailboxCount.n), 0))
            .where(MailboxCount.domain_id == domain.id)
            .scalar_subquery(),
            db.select(func.count(func.distinct(Alias.local_part)))
            .where(Alias.domain_id == domain.id)
            .scalar_subquery(),
        )
    ).one()
    return {"mailboxes": row[0], "aliases": row[1]}


def request_drift(domain: Domain) -> Result:
    """Queue a comparison with dimail; the page shows it when the job has stored it."""
    from webapp.jobs import drift

    domain.drift_requested_at = utcnow()
    db.session.commit()
    job_id = drift.job_id("compare", domain.id)
    if not enqueue_once(drift.compare_with_dimail, domain.id, job_id=job_id):
        _drop_drift_mark(domain)
        return Result.failure("The background queue cannot be reached; try again in a moment.")
    return Result.success(domain, "The comparison with the mail platform has started.")


def request_push(domain: Domain, actor: User | None = None) -> Result:
    """Queue a push of what dimail lost (compared again in the job, never from a stale page)."""
    from webapp.jobs import drift

    if domain.status != DomainStatus.ENABLED:
        return Result.failure("Only an enabled domain can be sent again to the mail platform.")
    asked_by = getattr(actor or _logged_in_user(), "id", None)
    domain.drift_requested_at = utcnow()
    db.session.commit()
    job_id = drift.job_id("push", domain.id)
    if not enqueue_once(drift.push_to_dimail, domain.id, asked_by, job_id=job_id):
        _drop_drift_mark(domain)
        return Result.failure("The background queue cannot be reached; try again in a moment.")
    return Result.success(
        domain, "What the mail platform lost is being sent again; compare again in a moment."
    )


def _drop_drift_mark(domain: Domain) -> None:
    # Nothing queued: the page must not poll for a job that will never come.
    domain.drift_requested_at = None
    db.session.commit()

"""Mail domains: creation, listing with counts, and status changes by hand."""

import contextlib
from dataclasses import dataclass, replace
from datetime import timedelta

from flask import current_app, has_request_context
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from webapp import audit
from webapp.extensions import db
from webapp.i18n import LANGUAGE_NAMES, known
from webapp.jobs import drift
from webapp.jobs.domain_status import change_status, next_check_delay
from webapp.jobs.domains import request_sync
from webapp.jobs.imports import import_from_dimail
from webapp.jobs.queue import enqueue_once, mark_for_sync
from webapp.messages import say, then
from webapp.models import (
    AliasCount,
    Domain,
    DomainAccess,
    DomainStatus,
    MailboxCount,
    Role,
    User,
)
from webapp.models.base import utcnow
from webapp.pagination import paginate_rows
from webapp.services.results import Result
from webapp.validators import (
    InvalidValue,
    normalise_domain_name,
    normalise_email_address,
    normalise_new_domain_name,
)

DUPLICATE_NAME = say("domain.duplicate")


def create_domain(name: str, support_email: str, actor: User, locale: str | None = None) -> Result:
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

    domain = Domain(
        name=ascii_name,
        support_email=email,
        status=DomainStatus.PENDING,
        locale=known(locale) or current_app.config["DEFAULT_LOCALE"],
    )
    db.session.add(domain)
    db.session.add(DomainAccess(domain=domain, user_id=actor.id, role=Role.OWNER))
    try:
        db.session.flush()  # the domain's id, for its first log entry
        audit.record(
            domain,
            "domain.created",
            say("audit.domain_created", domain=domain.unicode_name, email=email),
            target=domain.unicode_name,
            actor=actor,
        )
        mark_for_sync(domain)
        db.session.commit()
    except IntegrityError:
        # Another request registered the same name between our check and our insert.
        db.session.rollback()
        return Result.failure(name=DUPLICATE_NAME)
    created = say("domain.created", domain=domain.unicode_name)
    if not request_sync(domain):
        return Result.success(domain, then(created, say("queue.down")), "warning")
    return Result.success(domain, then(created, say("domain.being_set_up")))


def request_check(domain: Domain) -> Result:
    """ "Check now": ask dimail again (also the retry after a failure)."""
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(say("domain.not_checked_disabled"))
    mark_for_sync(domain)
    db.session.commit()
    if not request_sync(domain):
        return Result.success(
            domain, then(say("domain.check_recorded"), say("queue.down")), "warning"
        )
    return Result.success(domain, say("domain.check_started"))


def request_import(domain: Domain, actor: User | None = None) -> Result:
    """Queue an import; `actor` (default: the logged-in user) is named in the audit log."""

    if domain.status != DomainStatus.ENABLED:
        return Result.failure(say("domain.import_enabled_only"))
    asked_by = getattr(actor or _logged_in_user(), "id", None)
    if not enqueue_once(import_from_dimail, domain.id, asked_by, job_id=f"import-{domain.id}"):
        return Result.failure(say("queue.down_try_again"))
    return Result.success(domain, say("domain.import_started"))


def _logged_in_user() -> User | None:
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def set_status(domain: Domain, status: str, locale: str | None = None) -> Result:
    try:
        new_status = DomainStatus(status)
    except ValueError:
        return Result.failure(status=say("domain.choose_status"))
    status_word = new_status.label.lower()
    if new_status == domain.status:
        if known(locale) and locale != domain.locale:
            domain.locale = locale
            db.session.commit()
            return Result.success(
                domain, say("domain.email_language", language=LANGUAGE_NAMES[locale])
            )
        return Result.success(domain, say("domain.status_already", status=status_word))
    if known(locale):
        domain.locale = locale
    # Set by hand: the next periodic check comes after the usual delay for the new status.
    domain.next_check_at = utcnow() + timedelta(seconds=next_check_delay(new_status))
    done = say("domain.status_now", status=status_word)
    if not change_status(domain, new_status, reason=say("domain_status.set_by_hand")):
        return Result.success(domain, then(done, say("queue.down_follow_up")), "warning")
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
    aliases = func.coalesce(
        db.select(AliasCount.names)
        .where(AliasCount.domain_id == Domain.id)
        .correlate(Domain)
        .scalar_subquery(),
        0,
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
            db.select(func.coalesce(func.sum(AliasCount.names), 0))
            .where(AliasCount.domain_id == domain.id)
            .scalar_subquery(),
        )
    ).one()
    return {"mailboxes": row[0], "aliases": row[1]}


def request_drift(domain: Domain) -> Result:
    """Queue a comparison with dimail; the page shows it when the job has stored it."""

    domain.drift_requested_at = utcnow()
    db.session.commit()
    job_id = drift.job_id("compare", domain.id)
    if not enqueue_once(drift.compare_with_dimail, domain.id, job_id=job_id):
        _drop_drift_mark(domain)
        return Result.failure(say("queue.down_try_again"))
    return Result.success(domain, say("domain.drift_started"))


def request_push(domain: Domain, actor: User | None = None) -> Result:
    """Queue a push of what dimail lost (compared again in the job, never from a stale page)."""

    if domain.status != DomainStatus.ENABLED:
        return Result.failure(say("domain.push_enabled_only"))
    asked_by = getattr(actor or _logged_in_user(), "id", None)
    domain.drift_requested_at = utcnow()
    db.session.commit()
    job_id = drift.job_id("push", domain.id)
    if not enqueue_once(drift.push_to_dimail, domain.id, asked_by, job_id=job_id):
        _drop_drift_mark(domain)
        return Result.failure(say("queue.down_try_again"))
    return Result.success(domain, say("domain.push_started"))


def _drop_drift_mark(domain: Domain) -> None:
    # Nothing queued: the page must not poll for a job that will never come.
    domain.drift_requested_at = None
    db.session.commit()

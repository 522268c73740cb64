"""Aliases: a local part with one or more destinations, each a row synced on its own."""

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from webapp import audit
from webapp.extensions import db
from webapp.jobs import aliases as jobs
from webapp.jobs.queue import mark_for_sync
from webapp.messages import Said, say, then
from webapp.models import DEVNULL, Alias, AliasCount, AliasStatus, Domain, DomainStatus
from webapp.pagination import Page
from webapp.services.results import Result
from webapp.validators import InvalidValue, normalise_email_address, normalise_local_part

DOMAIN_DISABLED = say("alias.domain_disabled")


def _destination(raw: str) -> str:
    value = (raw or "").strip().lower()
    if value == DEVNULL:
        return DEVNULL  # dimail's way of discarding mail; not a deliverable address
    return normalise_email_address(value)


def check_pair(domain: Domain, local_part: str, destination: str) -> tuple[str, str, dict]:
    """The alias and destination as stored, and every reason to refuse them, by field: the
    rules of the form and of imports."""
    errors = {}
    try:
        local_part = normalise_local_part(local_part)
    except InvalidValue as exc:
        errors["local_part"] = str(exc)
    try:
        destination = _destination(destination)
    except InvalidValue as exc:
        errors["destination"] = str(exc)
    if not errors and destination in (
        f"{local_part}@{domain.name}",
        f"{local_part}@{domain.unicode_name}",
    ):
        errors["destination"] = say("alias.to_itself")
    return local_part, destination, errors


def added_entry(domain: Domain, local_part: str, destination: str) -> tuple[str, Said]:
    """The audit log's target and message for a destination added."""
    address = f"{local_part}@{domain.unicode_name}"
    said = say("audit.alias_added", address=address, destination=destination)
    return f"{address} → {destination}", said


def add(domain: Domain, local_part: str, destination: str) -> Result:
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    local_part, destination, errors = check_pair(domain, local_part, destination)
    if errors:
        return Result.failure(**errors)
    address = f"{local_part}@{domain.unicode_name}"
    duplicate = say("alias.duplicate", address=address, destination=destination)
    existing = _find(domain, local_part, destination)
    if existing is not None and existing.status == AliasStatus.FAILED:
        return _retry(domain, existing)  # adding a failed destination again is its Retry
    if existing is not None:
        return Result.failure(destination=duplicate)
    alias = Alias(domain_id=domain.id, local_part=local_part, destination=destination)
    db.session.add(alias)
    label, said = added_entry(domain, local_part, destination)
    audit.record(domain, "alias.added", said, target=label)
    if domain.status == DomainStatus.ENABLED:
        mark_for_sync(alias)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Result.failure(destination=duplicate)
    if domain.status != DomainStatus.ENABLED:
        return Result.success(alias, say("alias.recorded_for_later", pair=label))
    if not jobs.request_sync(alias):
        return Result.success(alias, _queue_down(label), "warning")
    return Result.success(alias, say("alias.being_added", pair=label))


def _queue_down(label: str) -> Said:
    return then(say("alias.recorded", pair=label), say("queue.down"))


def _retry(domain: Domain, alias: Alias) -> Result:
    label = f"{alias.local_part}@{domain.unicode_name} → {alias.destination}"
    alias.status = AliasStatus.PENDING
    alias.last_error = None
    if domain.status != DomainStatus.ENABLED:
        db.session.commit()
        return Result.success(alias, say("alias.recorded_for_later", pair=label))
    mark_for_sync(alias)
    db.session.commit()
    if not jobs.request_sync(alias):
        return Result.success(alias, _queue_down(label), "warning")
    return Result.success(alias, say("alias.trying_again", pair=label))


def _find(domain: Domain, local_part: str, destination: str) -> Alias | None:
    return db.session.scalar(
        db.select(Alias).where(
            Alias.domain_id == domain.id,
            Alias.local_part == local_part,
            Alias.destination == destination,
        )
    )


def remove(domain: Domain, local_part: str, destination: str | None) -> Result:
    """Remove one destination, or every destination of the local part when none is given."""
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    local_part = (local_part or "").strip().lower()
    stmt = db.select(Alias).where(Alias.domain_id == domain.id, Alias.local_part == local_part)
    if destination:
        stmt = stmt.where(Alias.destination == (destination or "").strip().lower())
    rows = db.session.scalars(stmt).all()
    if not rows:
        return Result.failure(say("alias.no_such"))
    to_sync = []
    for alias in rows:
        address = f"{alias.local_part}@{domain.unicode_name}"
        audit.record(
            domain,
            "alias.removed",
            say("audit.alias_removed", address=address, destination=alias.destination),
            target=f"{address} → {alias.destination}",
        )
        if _forget_if_never_sent(alias):
            continue
        # dimail has it, or may have it (a creation whose answer was lost): a tombstone
        # stays until dimail confirms it is gone.
        alias.status = AliasStatus.DELETING
        alias.last_error = None
        to_sync.append(alias)
        if domain.status == DomainStatus.ENABLED:
            mark_for_sync(alias)
    db.session.commit()
    what = f"{local_part}@{domain.unicode_name}" + (f" → {destination}" if destination else "")
    if to_sync and domain.status == DomainStatus.ENABLED:
        for alias in to_sync:
            if not jobs.request_sync(alias):
                later = then(say("alias.will_be_removed", what=what), say("queue.down"))
                return Result.success(None, later, "warning")
        return Result.success(None, say("alias.being_removed", what=what))
    if to_sync:
        return Result.success(None, say("alias.removed_when_ready", what=what))
    return Result.success(None, say("alias.removed", what=what))


def _forget_if_never_sent(alias: Alias) -> bool:
    """Delete the row if no creation was ever tried: conditional in the database, since a job
    may be marking its first try this very moment (it commits that before calling dimail)."""
    if alias.dimail_attempted_at is not None or alias.dimail_created_at is not None:
        return False
    gone = db.session.execute(
        db.delete(Alias)
        .where(
            Alias.id == alias.id,
            Alias.dimail_attempted_at.is_(None),
            Alias.dimail_created_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if gone:
        db.session.expunge(alias)
        return True
    db.session.refresh(alias)
    return False


@dataclass(frozen=True)
class AliasGroup:
    local_part: str
    destinations: list[Alias]


def listing(domain: Domain, q: str = "", page: int = 1, per_page: int = 50) -> Page:
    """Aliases grouped by local part, a page of local parts at a time: three queries (the
    total read from alias_counts unless a search narrows the list)."""
    groups = db.select(Alias.local_part).where(Alias.domain_id == domain.id)
    q = (q or "").strip().lower()
    if q:
        groups = groups.where(
            db.or_(
                Alias.local_part.contains(q, autoescape=True),
                Alias.destination.contains(q, autoescape=True),
            )
        )
    groups = groups.group_by(Alias.local_part)
    if q:
        total = db.session.scalar(db.select(func.count()).select_from(groups.subquery()))
    else:  # kept by the database: counting the local parts reads every row of the domain
        total = db.session.scalar(
            db.select(func.coalesce(func.sum(AliasCount.names), 0)).where(
                AliasCount.domain_id == domain.id
            )
        )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    names = db.session.scalars(
        groups.order_by(Alias.local_part).limit(per_page).offset((page - 1) * per_page)
    ).all()
    rows = db.session.scalars(
        db.select(Alias)
        .where(Alias.domain_id == domain.id, Alias.local_part.in_(names))
        .order_by(Alias.local_part, Alias.destination)
    ).all()
    by_name: dict[str, list[Alias]] = {name: [] for name in names}
    for row in rows:
        by_name[row.local_part].append(row)
    items = [AliasGroup(name, by_name[name]) for name in names]
    return Page(items=items, page=page, pages=pages, total=total)

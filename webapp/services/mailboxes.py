"""Mailboxes: creation by domain status, edits, state changes and one-shot actions.

Every change is committed here with its "to sync" mark; the jobs in webapp.jobs.mailboxes make
dimail match. Nothing here talks to dimail.
"""

import functools
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from webapp import audit
from webapp.extensions import db
from webapp.jobs import mailboxes as jobs
from webapp.models import Domain, DomainStatus, Mailbox, MailboxCount, MailboxStatus
from webapp.models.base import utcnow
from webapp.models.mailbox import SEARCH_KEY_SEPARATOR, name_key
from webapp.pagination import paginate_rows
from webapp.services.mailbox_names import cleaned_names, name_taken
from webapp.services.results import Result
from webapp.text import fold
from webapp.validators import (
    InvalidValue,
    normalise_email_address,
    normalise_local_part,
    suggest_local_part,
)

QUEUE_DOWN = (
    "The background queue cannot be reached right now; nothing is lost: it is sent to the mail "
    "platform as soon as the queue is back."
)
DOMAIN_DISABLED = "This domain is disabled: its mailboxes cannot be changed."
SORTS = {
    "name": (Mailbox.last_name, Mailbox.first_name),
    "-name": (Mailbox.last_name.desc(), Mailbox.first_name.desc()),
    "address": (Mailbox.local_part,),
    "-address": (Mailbox.local_part.desc(),),
    "status": (Mailbox.status, Mailbox.local_part),
    "-created": (Mailbox.created_at.desc(), Mailbox.id.desc()),
    "created": (Mailbox.created_at, Mailbox.id),
}


def find(domain: Domain, local_part: str) -> Mailbox | None:
    return db.session.scalar(
        db.select(Mailbox).where(
            Mailbox.domain_id == domain.id, Mailbox.local_part == (local_part or "").lower()
        )
    )


def _taken_meanwhile(
    domain: Domain, first: str, last: str, local_part: str | None = None
) -> Result:
    """The form's own message for a unique constraint that a parallel request won between our
    checks and our write. Caught before anything logs the statement with its parameters."""
    if local_part is not None and find(domain, local_part) is not None:
        return Result.failure(local_part=f"{local_part}@{domain.unicode_name} already exists.")
    taken = name_taken(domain, first, last)
    return Result.failure(
        first_name=taken or f"{first} {last} was given to another mailbox at the same moment."
    )


def _secondary(data: dict, address: str, errors: dict) -> str | None:
    try:
        email = normalise_email_address(data.get("secondary_email", ""))
    except InvalidValue as exc:
        errors["secondary_email"] = str(exc)
        return None
    if email == address.lower():
        errors["secondary_email"] = (
            "Use another address than the new mailbox itself: the confirmation goes there."
        )
        return None
    return email


def create(domain: Domain, data: dict) -> Result:
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    errors: dict[str, str] = {}
    first, last = cleaned_names(data, errors)
    raw_local = (data.get("local_part") or "").strip() or suggest_local_part(first, last)
    try:
        local_part = normalise_local_part(raw_local)
    except InvalidValue as exc:
        errors["local_part"] = str(exc)
        local_part = raw_local.lower()
    secondary = _secondary(data, f"{local_part}@{domain.name}", errors)
    if "local_part" not in errors and find(domain, local_part) is not None:
        errors["local_part"] = f"{local_part}@{domain.unicode_name} already exists."
    if first and last and (taken := name_taken(domain, first, last)):
        errors["first_name"] = taken
    if errors:
        return Result.failure(**errors)

    mailbox = Mailbox(
        domain_id=domain.id,
        local_part=local_part,
        first_name=first,
        last_name=last,
        name_key=name_key(first, last),
        secondary_email=secondary,
        status=MailboxStatus.PENDING,
    )
    db.session.add(mailbox)
    address = f"{local_part}@{domain.unicode_name}"
    audit.record(
        domain,
        "mailbox.created",
        f"Mailbox {address} created for {first} {last}"
        + (f", secondary email {secondary}." if secondary else "."),
        target=address,
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # created in parallel between our checks and our insert
        return _taken_meanwhile(domain, first, last, local_part)
    if domain.status != DomainStatus.ENABLED:
        return Result.success(
            mailbox,
            f"{address} is recorded. It is created on the mail platform as soon as the domain "
            "is ready, and its confirmation email is sent then.",
        )
    if not jobs.request_sync(mailbox):
        return Result.success(mailbox, f"{address} is recorded. {QUEUE_DOWN}", "warning")
    return Result.success(mailbox, f"{address} is being created on the mail platform.")


def update(mailbox: Mailbox, data: dict, *, names_only: bool = False) -> Result:
    domain = mailbox.domain
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    errors: dict[str, str] = {}
    first, last = cleaned_names(data, errors)
    secondary = mailbox.secondary_email
    if not names_only:
        secondary = _secondary(data, mailbox.address, errors)
    names_changed = (first, last) != (mailbox.first_name, mailbox.last_name)
    # Unchanged names keep their key: a lookalike pair from before the keys were skeletons
    # (see Mailbox.name_key) is refused only when its names are edited.
    taken = names_changed and first and last and name_taken(domain, first, last, mailbox.id)
    if taken:
        errors["first_name"] = taken
    if errors:
        return Result.failure(**errors)
    changes = [
        f"{what}: {old or '(none)'} → {new or '(none)'}"
        for what, old, new in (
            ("first name", mailbox.first_name, first),
            ("last name", mailbox.last_name, last),
            ("secondary email", mailbox.secondary_email, secondary),
        )
        if old != new
    ]
    if changes:
        audit.record(domain, "mailbox.edited", "; ".join(changes) + ".", target=_target(mailbox))
    if names_changed:
        mailbox.first_name, mailbox.last_name = first, last
        mailbox.name_key = name_key(first, last)
    mailbox.secondary_email = secondary
    try:
        # Written now, so that names taken by a parallel rename fail here, before any commit.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _taken_meanwhile(domain, first, last)
    if names_changed and mailbox.dimail_created_at is not None:
        mailbox.names_synced = False
        return _sync(mailbox, "The new names are being sent to the mail platform.")
    if names_changed:
        _move_mark(mailbox)
    db.session.commit()
    return Result.success(mailbox, "The mailbox is saved.")


def set_enabled(mailbox: Mailbox, enabled: bool) -> Result:
    if mailbox.domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    if mailbox.enabled_wanted == enabled:
        return Result.success(
            mailbox, f"The mailbox is already {'enabled' if enabled else 'disabled'}."
        )
    mailbox.enabled_wanted = enabled
    verb = "enabled" if enabled else "disabled"
    audit.record(
        mailbox.domain,
        f"mailbox.{verb}",
        f"Mailbox {_target(mailbox)} {verb}"
        + ("." if mailbox.dimail_created_at else " (applies when it is created)."),
        target=_target(mailbox),
    )
    if mailbox.dimail_created_at is None:
        _move_mark(mailbox)
        db.session.commit()
        return Result.success(mailbox, "Saved; it applies when the mailbox is created.")
    mailbox.status = MailboxStatus.ENABLED if enabled else MailboxStatus.DISABLED
    return _sync(mailbox, f"{mailbox.address} is being {verb} on the mail platform.")


def retry(mailbox: Mailbox) -> Result:
    if mailbox.domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    if confirmation_owed(mailbox) and not mailbox.last_error:
        return _send_confirmation_again(mailbox)
    if mailbox.status == MailboxStatus.FAILED:
        mailbox.status = MailboxStatus.PENDING
    mailbox.last_error = None
    if mailbox.domain.status != DomainStatus.ENABLED:
        db.session.commit()
        return Result.success(mailbox, "It will be sent when the domain is ready.")
    return _sync(mailbox, "Trying again.")


def confirmation_owed(mailbox: Mailbox) -> bool:
    """The mailbox exists but its confirmation did not leave (the page offers Send again)."""
    return (
        mailbox.dimail_created_at is not None
        and mailbox.confirmation_sent_at is None
        and bool(mailbox.secondary_email)
        and bool(mailbox.email_error)
    )


def _send_confirmation_again(mailbox: Mailbox) -> Result:
    mailbox.email_error = None
    mailbox.email_given_up_at = None
    db.session.commit()
    if not jobs.request_confirmation(mailbox):
        return Result.success(mailbox, f"The confirmation is owed. {QUEUE_DOWN}", "warning")
    return Result.success(mailbox, f"The confirmation is being sent to {mailbox.secondary_email}.")


def _target(mailbox: Mailbox) -> str:
    return f"{mailbox.local_part}@{mailbox.domain.unicode_name}"


def _requester_id() -> int | None:
    """Who asks for a one-shot action, so that the job's log entry names them."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def _move_mark(mailbox: Mailbox) -> None:
    """A change to a mailbox that is on its way to dimail: moving its mark tells a job running
    right now that the row changed under it, so that it does not write over the change and
    takes it along instead (webapp.jobs.mailboxes._record)."""
    if mailbox.sync_requested_at is not None:
        mailbox.sync_requested_at = utcnow()


def _sync(mailbox: Mailbox, message: str) -> Result:
    if not jobs.request_sync(mailbox):
        return Result.success(mailbox, f"Saved. {QUEUE_DOWN}", "warning")
    return Result.success(mailbox, message)


def _ready_for_action(mailbox: Mailbox) -> str | None:
    if mailbox.domain.status == DomainStatus.DISABLED:
        return DOMAIN_DISABLED
    if mailbox.dimail_created_at is None:
        return "The mailbox does not exist on the mail platform yet."
    if not mailbox.secondary_email:
        return "This mailbox has no secondary email to send it to: add one first."
    if not mailbox.domain.checks_supported:
        return "The connected mail platform (an older dimail) does not offer this action."
    return None


def reset_password(mailbox: Mailbox) -> Result:
    if problem := _ready_for_action(mailbox):
        return Result.failure(problem)
    message = f"A new password is being generated and sent to {mailbox.secondary_email}."
    return _start_action(mailbox, jobs.reset_password, message)


def send_login_link(mailbox: Mailbox) -> Result:
    if problem := _ready_for_action(mailbox):
        return Result.failure(problem)
    message = f"A login link is being sent to {mailbox.secondary_email}."
    return _start_action(mailbox, jobs.send_login_link, message)


def _start_action(mailbox: Mailbox, job, message: str) -> Result:
    """The page shows this action's progress, never the outcome of an earlier one: its notice
    is replaced now, then by the job with "sent", dimail's refusal or why it waits."""
    previous, mailbox.notice = mailbox.notice, message
    db.session.commit()  # before the job can write its own outcome
    if not jobs.enqueue_action(job, mailbox, _requester_id()):
        mailbox.notice = previous
        db.session.commit()
        return Result.failure("The background queue cannot be reached; try again in a moment.")
    return Result.success(mailbox, message)


# A search matching at most this many mailboxes reads its matches through the search index,
# then sorts them; a broader one walks the list in its sort order and stops after one page.
SELECTIVE_SEARCH = 1000


def listing(domain: Domain, q: str = "", status: str = "", sort: str = "name", page: int = 1,
            per_page: int = 50, counts: dict[str, int] | None = None):  # fmt: skip
    """One page of a domain's mailboxes: a COUNT and a page query, whatever the total.

    `counts`, the domain's mailboxes by status (see counts(), which the list shows anyway), saves
    the COUNT when no search term narrows the list.
    """
    where = [Mailbox.domain_id == domain.id]
    by_status = status in set(MailboxStatus)
    if by_status:
        where.append(Mailbox.status == status)
    stmt = db.select(*Listed.COLUMNS).where(*where)
    total = None
    q = fold(q).strip()
    if q:
        at_domain = (f"@{domain.name}", fold(f"@{domain.unicode_name}"))
        needle = q.split("@", 1)[0] if q.endswith(at_domain) else q
        if SEARCH_KEY_SEPARATOR in needle:
            matches = sa.false()  # no field holds it: it could only match across two fields
        else:
            matches = Mailbox.search_key.contains(needle, autoescape=True)
        found = db.select(Mailbox.id).where(*where, matches)
        # One pass over the search index gives the matches' ids, hence their number, unless
        # there are too many to carry around: then they are counted, and the list walked.
        ids = db.session.scalars(found.limit(SELECTIVE_SEARCH + 1)).all()
        if len(ids) <= SELECTIVE_SEARCH:
            total = len(ids)
            stmt = db.select(*Listed.COLUMNS).where(Mailbox.id.in_(ids))
        else:
            total = db.session.scalar(db.select(func.count()).select_from(found.subquery()))
            stmt = found.with_only_columns(*Listed.COLUMNS)
    elif counts is not None:
        total = counts.get(status, 0) if by_status else sum(counts.values())
    order = (*SORTS.get(sort, SORTS["name"]), Mailbox.id)
    result = paginate_rows(stmt, page, per_page, total=total, order=order)
    return replace(result, items=[Listed(*row) for row in result.items])


@dataclass(frozen=True, slots=True)
class Listed:
    """A row of the mailbox list: the columns it shows, read as plain values (building whole
    ORM objects for a page of rows costs more than the query)."""

    COLUMNS: ClassVar[tuple] = (
        Mailbox.id,
        Mailbox.local_part,
        Mailbox.first_name,
        Mailbox.last_name,
        Mailbox.status,
        Mailbox.sync_requested_at,
        Mailbox.last_error,
    )

    id: int
    local_part: str
    first_name: str
    last_name: str
    status: str
    sync_requested_at: datetime | None
    last_error: str | None

    @property
    def syncing(self) -> bool:
        return self.sync_requested_at is not None

    @property
    def status_enum(self) -> MailboxStatus:
        return MailboxStatus(self.status)


def counts(domain: Domain) -> dict[str, int]:
    """The domain's mailboxes by status (kept by the database: see MailboxCount)."""
    rows = db.session.execute(_counts_query(), {"domain_id": domain.id}).all()
    return {status: n for status, n in rows}


@functools.cache
def _counts_query():
    # Built once: every mailbox page runs it, and building it cost as much as running it.
    return db.select(MailboxCount.status, MailboxCount.n).where(
        MailboxCount.domain_id == db.bindparam("domain_id"), MailboxCount.n > 0
    )

"""Mailboxes: creation by domain status, edits, state changes and one-shot actions.

Every change is committed here with its "to sync" mark; the jobs in webapp.jobs.mailboxes make
dimail match. Nothing here talks to dimail.
"""

from flask import has_request_context
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from webapp import audit, i18n
from webapp.extensions import db
from webapp.jobs import mailboxes as jobs
from webapp.jobs.queue import mark_for_sync
from webapp.messages import Said, say, then
from webapp.models import Domain, DomainStatus, Mailbox, MailboxStatus
from webapp.models.base import utcnow
from webapp.models.mailbox import name_key
from webapp.services.mailbox_names import cleaned_names, name_taken
from webapp.services.mailbox_rules import (
    InDatabase,
    check_new,
    created_entry,
    find,
    secondary_email,
)
from webapp.services.results import Result

DOMAIN_DISABLED = say("mailbox.domain_disabled")


def _taken_meanwhile(
    domain: Domain, first: str, last: str, local_part: str | None = None
) -> Result:
    """The form's own message for a unique constraint that a parallel request won between our
    checks and our write. Caught before anything logs the statement with its parameters."""
    if local_part is not None and find(domain, local_part) is not None:
        return Result.failure(
            local_part=say("mailbox.exists", address=f"{local_part}@{domain.unicode_name}")
        )
    taken = name_taken(domain, first, last)
    return Result.failure(
        first_name=taken or say("mailbox.name_taken_meanwhile", name=f"{first} {last}")
    )


def create(domain: Domain, data: dict) -> Result:
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    checked = check_new(domain, data, InDatabase(domain))
    if checked.errors:
        return Result.failure(**checked.errors)
    first, last, local_part = checked.first, checked.last, checked.local_part
    secondary = checked.secondary
    mailbox = Mailbox(
        domain_id=domain.id,
        local_part=local_part,
        first_name=first,
        last_name=last,
        name_key=name_key(first, last),
        secondary_email=secondary,
        status=MailboxStatus.PENDING,
        locale=i18n.current(),  # its creator's: the confirmation email's language
    )
    db.session.add(mailbox)
    address, said = created_entry(domain, checked)
    audit.record(domain, "mailbox.created", said, target=address)
    if domain.status == DomainStatus.ENABLED:
        mark_for_sync(mailbox)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # created in parallel between our checks and our insert
        return _taken_meanwhile(domain, first, last, local_part)
    if domain.status != DomainStatus.ENABLED:
        return Result.success(mailbox, say("mailbox.recorded_for_later", address=address))
    if not jobs.request_sync(mailbox):
        recorded = say("mailbox.recorded", address=address)
        return Result.success(mailbox, then(recorded, say("queue.down")), "warning")
    return Result.success(mailbox, say("mailbox.being_created", address=address))


def update(mailbox: Mailbox, data: dict, *, names_only: bool = False) -> Result:
    domain = mailbox.domain
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    errors: dict[str, str] = {}
    first, last = cleaned_names(data, errors)
    secondary = mailbox.secondary_email
    if not names_only:
        secondary = secondary_email(data, mailbox.address, errors)
    names_changed = (first, last) != (mailbox.first_name, mailbox.last_name)
    # Unchanged names keep their key: a lookalike pair from before the keys were skeletons
    # (see Mailbox.name_key) is refused only when its names are edited.
    taken = names_changed and first and last and name_taken(domain, first, last, mailbox.id)
    if taken:
        errors["first_name"] = taken
    if errors:
        return Result.failure(**errors)
    none = say("audit.none")
    changes = [
        say("audit.mailbox_change", what=say(f"audit.{what}"), old=old or none, new=new or none)
        for what, old, new in (
            ("first_name", mailbox.first_name, first),
            ("last_name", mailbox.last_name, last),
            ("secondary_email", mailbox.secondary_email, secondary),
        )
        if old != new
    ]
    if changes:
        audit.record(
            domain, "mailbox.edited", say("audit.mailbox_edited", changes=changes),
            target=_target(mailbox),
        )  # fmt: skip
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
        return _sync(mailbox, say("mailbox.names_being_sent"))
    if names_changed:
        _move_mark(mailbox)
    db.session.commit()
    return Result.success(mailbox, say("mailbox.saved"))


def set_enabled(mailbox: Mailbox, enabled: bool) -> Result:
    if mailbox.domain.status == DomainStatus.DISABLED:
        return Result.failure(DOMAIN_DISABLED)
    verb = "enabled" if enabled else "disabled"
    if mailbox.enabled_wanted == enabled:
        return Result.success(mailbox, say(f"mailbox.already_{verb}"))
    mailbox.enabled_wanted = enabled
    audit.record(
        mailbox.domain,
        f"mailbox.{verb}",
        say(
            f"audit.mailbox_{verb}" + ("" if mailbox.dimail_created_at else "_later"),
            address=_target(mailbox),
        ),
        target=_target(mailbox),
    )
    if mailbox.dimail_created_at is None:
        _move_mark(mailbox)
        db.session.commit()
        return Result.success(mailbox, say("mailbox.saved_until_created"))
    mailbox.status = MailboxStatus.ENABLED if enabled else MailboxStatus.DISABLED
    return _sync(mailbox, say(f"mailbox.being_{verb}", address=mailbox.address))


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
        return Result.success(mailbox, say("mailbox.sent_when_ready"))
    return _sync(mailbox, say("mailbox.trying_again"))


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
        return Result.success(
            mailbox, then(say("mailbox.confirmation_owed"), say("queue.down")), "warning"
        )
    return Result.success(
        mailbox, say("mailbox.confirmation_being_sent", recipient=mailbox.secondary_email)
    )


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
    takes it along instead (webapp.jobs.mailboxes.rows)."""
    if mailbox.sync_requested_at is not None:
        mailbox.sync_requested_at = utcnow()


def _sync(mailbox: Mailbox, message: Said) -> Result:
    """Commit the change with its mark, then queue the sync."""
    mark_for_sync(mailbox)
    db.session.commit()
    if not jobs.request_sync(mailbox):
        return Result.success(
            mailbox, then(say("mailbox.saved_short"), say("queue.down")), "warning"
        )
    return Result.success(mailbox, message)


def _ready_for_action(mailbox: Mailbox) -> Said | None:
    if mailbox.domain.status == DomainStatus.DISABLED:
        return DOMAIN_DISABLED
    if mailbox.dimail_created_at is None:
        return say("mailbox.not_in_dimail_yet")
    if not mailbox.secondary_email:
        return say("mailbox.no_secondary")
    if not mailbox.domain.checks_supported:
        return say("mailbox.action_not_supported")
    return None


def reset_password(mailbox: Mailbox) -> Result:
    if problem := _ready_for_action(mailbox):
        return Result.failure(problem)
    message = say("mailbox.password_being_sent", recipient=mailbox.secondary_email)
    return _start_action(mailbox, jobs.reset_password, message)


def send_login_link(mailbox: Mailbox) -> Result:
    if problem := _ready_for_action(mailbox):
        return Result.failure(problem)
    message = say("mailbox.login_link_being_sent", recipient=mailbox.secondary_email)
    return _start_action(mailbox, jobs.send_login_link, message)


def _start_action(mailbox: Mailbox, job, message: Said) -> Result:
    """The page shows this action's progress, never the outcome of an earlier one: its notice
    is replaced now, then by the job with "sent", dimail's refusal or why it waits."""
    previous, mailbox.notice = mailbox.notice, message
    db.session.commit()  # before the job can write its own outcome
    if not jobs.enqueue_action(job, mailbox, _requester_id()):
        mailbox.notice = previous
        db.session.commit()
        return Result.failure(say("queue.down_try_again"))
    return Result.success(mailbox, message)

"""Jobs that make dimail's mailboxes match ours, and the emails that go with them.

`sync_mailbox` converges: it creates the mailbox if dimail lacks it, pushes names that changed,
and enables or disables it as wanted; run twice, it does nothing the second time. Generated
passwords only travel sealed (webapp.secrets_box) from one job to the email job.
"""

import functools
import logging
import uuid

from flask import current_app, g

from webapp import audit, mail, secrets_box
from webapp.dimail.client import DimailNotSupported, DimailRejected, DimailUnavailable
from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import enqueue_once, live_jobs, mark_and_enqueue, redis_connection
from webapp.models import Domain, DomainStatus, Mailbox, MailboxStatus, User
from webapp.models.base import utcnow

log = logging.getLogger(__name__)

NOT_SUPPORTED = "The connected mail platform (an older dimail) does not offer {what}."
SYNC_BATCH = 50
BATCH_JOB_PREFIX = "mailbox-batch-"
FAULTS_BEFORE_GIVING_UP = 3
EDITED_ROUNDS = 3  # a mailbox edited again and again while it syncs waits for the next run


def sync_job_id(mailbox_id: int) -> str:
    return f"mailbox-sync-{mailbox_id}"


def confirmation_job_id(mailbox_id: int) -> str:
    return f"mailbox-confirmation-{mailbox_id}"


def request_sync(mailbox: Mailbox) -> bool:
    return mark_and_enqueue(mailbox, sync_mailbox, sync_job_id(mailbox.id))


def request_confirmation(mailbox: Mailbox) -> bool:
    """Queue the confirmation again (without the first password: a login link or a new one)."""
    return enqueue_once(send_confirmation, mailbox.id, None, job_id=confirmation_job_id(mailbox.id))


def enqueue_action(func, mailbox: Mailbox, asked_by: int | None = None) -> bool:
    # One-shot actions (reset, login link): a unique id each time, a click is a request.
    # `asked_by` (a user id) is who the audit log names once the email has left.
    return enqueue_once(
        func, mailbox.id, asked_by, job_id=f"{func.__name__}-{mailbox.id}-{uuid.uuid4().hex}"
    )


def _target(mailbox: Mailbox) -> str:
    return f"{mailbox.local_part}@{mailbox.domain.unicode_name}"


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


class MailboxBusy(failures.RetryLater):
    """Another job is syncing this mailbox right now; RQ tries this one again later."""


def _fail(mailbox: Mailbox, exc: Exception, final: bool) -> failures.Failure:
    """Write why the sync of `mailbox` failed; when no retry follows, clear its mark (and fail
    it if dimail never had it). Like every outcome, only if the row was not edited meanwhile."""
    created = mailbox.dimail_created_at is not None
    what = f"a change to {_target(mailbox)}" if created else f"the creation of {_target(mailbox)}"
    failure = failures.describe(exc, what, final)
    outcome: dict = {"last_error": failure.reason}
    if failure.final:
        outcome["sync_requested_at"] = None
        if not created:
            outcome["status"] = MailboxStatus.FAILED
    marked = g.get("sync_marks", {}).get(mailbox.id, mailbox.sync_requested_at)
    if _record(mailbox, marked, {}, **outcome) and failure.final:
        audit.record(mailbox.domain, "mailbox.failed", failure.cause, target=_target(mailbox))
        db.session.commit()
    return failure


def _record_sync_failure(exc: Exception, final: bool, mailbox_id: int) -> failures.Failure:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return failures.describe(exc, "a mailbox since removed", final)
    return _fail(mailbox, exc, final)


def _record_batch_failure(
    exc: Exception, final: bool, domain_id: int, mailbox_ids: list[int]
) -> failures.Failure:
    """The batch itself failed (not one mailbox of it): its mailboxes that are still marked
    say why; they keep their marks, so their own jobs or the reconciler take them up again."""
    failure = failures.describe(exc, "sending these mailboxes to the mail platform", final)
    db.session.execute(
        db.update(Mailbox)
        .where(Mailbox.id.in_(mailbox_ids), Mailbox.sync_requested_at.is_not(None))
        .values(last_error=failure.reason)
    )
    return failure


def _lock_key(mailbox_id: int) -> str:
    return f"webapp:lock:{sync_job_id(mailbox_id)}"


def _claim(mailbox_ids: list[int]) -> list[int]:
    """Claim the mailboxes no other job holds (one round trip); returns those claimed.

    A claim keeps a batch and a mailbox's own job from talking to dimail about the same mailbox
    at once. It outlives the job's timeout (RQ stops a job at its timeout), so a job that
    releases a claim still holds it; a killed job's claims expire by themselves."""
    ttl = current_app.config["JOB_TIMEOUT"] + 10
    pipe = redis_connection().pipeline(transaction=False)
    for mailbox_id in mailbox_ids:
        pipe.set(_lock_key(mailbox_id), "claimed", nx=True, ex=ttl)
    return [i for i, got in zip(mailbox_ids, pipe.execute(), strict=True) if got]


def _release(mailbox_ids: list[int]) -> None:
    if mailbox_ids:
        redis_connection().delete(*(_lock_key(i) for i in mailbox_ids))


@job(on_failure=_record_sync_failure)
def sync_mailbox(mailbox_id: int) -> str:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return "gone"
    domain = db.session.get(Domain, mailbox.domain_id)
    if domain.status != DomainStatus.ENABLED:
        # Sent when the domain becomes enabled (webapp.jobs.waiting).
        mailbox.sync_requested_at = None
        db.session.commit()
        return "waiting for the domain"
    if not _claim([mailbox_id]):
        raise MailboxBusy(f"mailbox {mailbox_id} is being synced by another job")
    try:
        db.session.refresh(mailbox)  # what the other job left, if one just finished
        return _sync_one(dimail_client(), domain, mailbox)
    finally:
        _release([mailbox_id])


@job(on_failure=_record_batch_failure)
def sync_mailboxes(domain_id: int, mailbox_ids: list[int]) -> str:
    """Sync many marked mailboxes of one domain in one job: RQ's own cost per job is then paid
    once per batch, not once per mailbox. A mailbox that meets a transient fault goes on in its
    own job (with its retries); after a few in a row dimail is taken as down and the rest follow
    the same way, so a batch never spends its time waiting on timeouts."""
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    if domain.status != DomainStatus.ENABLED:
        _unmark(mailbox_ids)  # still owed: sent when the domain is enabled (jobs/waiting.py)
        return "waiting for the domain"
    claimed = _claim(mailbox_ids)  # the others are their own jobs' to sync
    session = db.session()
    # The batch's rows are read once, here, and not reloaded after each commit: a row edited
    # since is caught by its moved mark when its outcome is written (_record), and redone.
    session.expire_on_commit = False
    rows = {m.id: m for m in db.session.scalars(db.select(Mailbox).where(Mailbox.id.in_(claimed)))}
    client = dimail_client()
    synced = faults_in_a_row = 0
    handed: list[int] = []  # released already, now their own jobs': not to be released again
    try:
        for position, mailbox_id in enumerate(claimed):
            if position and not _still_enabled(domain_id):
                # Disabled (or found broken) mid-batch: the rest waits for the domain; their
                # differences stay owed and go when it is enabled again.
                _unmark(claimed[position:])
                break
            outcome = _sync_claimed(client, domain, rows.get(mailbox_id))
            if outcome is None:
                faults_in_a_row += 1
                handed += _hand_over(claimed[position : position + 1])
                if faults_in_a_row >= FAULTS_BEFORE_GIVING_UP:
                    handed += _hand_over(claimed[position + 1 :])
                    break
            elif outcome:
                synced += 1
                faults_in_a_row = 0
    finally:
        session.expire_on_commit = True
        _release([i for i in claimed if i not in set(handed)])
    return f"{synced} of {len(mailbox_ids)} synced"


def _still_enabled(domain_id: int) -> bool:
    status = db.session.scalar(db.select(Domain.status).where(Domain.id == domain_id))
    return status == DomainStatus.ENABLED


def _unmark(mailbox_ids: list[int]) -> None:
    db.session.execute(
        db.update(Mailbox)
        .where(Mailbox.id.in_(mailbox_ids))
        .values(sync_requested_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _sync_claimed(client, domain: Domain, mailbox: Mailbox | None) -> bool | None:
    """Sync one claimed mailbox of a batch: True when done, False when skipped, None on a
    transient fault (its error is recorded on the row, and its own job retries it)."""
    if mailbox is None or mailbox.sync_requested_at is None:
        return False  # removed, or done by another job before this batch claimed it
    try:
        _sync_one(client, domain, mailbox)
    except Exception as exc:
        db.session.rollback()
        # Not final: a transient fault goes on in the mailbox's own job, with its retries.
        return None if _fail(mailbox, exc, final=False).transient else True
    return True


def _hand_over(mailbox_ids: list[int]) -> list[int]:
    """Release these mailboxes and give each its own job; returns them."""
    _release(mailbox_ids)
    for mailbox_id in mailbox_ids:
        retry_alone(mailbox_id)
    return mailbox_ids


def retry_alone(mailbox_id: int) -> None:
    """Hand a mailbox to its own job, after the first retry interval: its tries start there."""
    delay = current_app.config["JOB_RETRY_INTERVALS"][0]
    enqueue_once(sync_mailbox, mailbox_id, job_id=sync_job_id(mailbox_id), delay=delay)


def request_batch_sync(domain_id: int, mailbox_ids: list[int]) -> bool:
    """Queue marked mailboxes of one domain in batches; False when Redis is unreachable
    (their marks stay, the reconciler queues them)."""
    for start in range(0, len(mailbox_ids), SYNC_BATCH):
        batch = mailbox_ids[start : start + SYNC_BATCH]
        job_id = f"{BATCH_JOB_PREFIX}{domain_id}-{batch[0]}-{uuid.uuid4().hex[:8]}"
        if not enqueue_once(sync_mailboxes, domain_id, batch, job_id=job_id):
            return False
    return True


def batched_ids() -> set[int]:
    """Mailboxes that a waiting or running batch job will sync."""
    return {mailbox_id for batch in live_jobs(BATCH_JOB_PREFIX) for mailbox_id in batch.args[1]}


def _sync_one(client, domain: Domain, mailbox: Mailbox) -> str:
    """Make dimail's copy of one mailbox match ours; commits what it did.

    An edit saved while this runs is never overwritten: the services move the row's mark
    (`sync_requested_at`) with every change, and the outcome is written only if the mark is
    still the one this run started from. Otherwise what dimail now has is kept, and the run
    starts over from the edited row."""
    marks = g.setdefault("sync_marks", {})  # read by _fail if this run ends in an error
    for _ in range(EDITED_ROUNDS):
        marked = marks[mailbox.id] = mailbox.sync_requested_at
        facts: dict = {}  # what dimail now has, learned by this run's calls
        try:
            sealed = _converge(client, domain, mailbox, facts)
        except _ActiveNotSupported:
            # An older dimail ignores `active`: say so, and show what dimail really has.
            if _record(
                mailbox, marked, facts, enabled_wanted=mailbox.dimail_enabled,
                status=MailboxStatus.ENABLED if mailbox.dimail_enabled else MailboxStatus.DISABLED,
                last_error=None, sync_requested_at=None, notice=NOT_SUPPORTED.format(
                    what="disabling mailboxes" if mailbox.enabled_wanted is False
                    else "enabling mailboxes"),
            ):  # fmt: skip
                return "not supported"
        except Exception:
            if facts:  # keep what dimail now has; the wrapper says what went wrong
                _record(mailbox, marked, facts)
            raise
        else:
            status = MailboxStatus.ENABLED if mailbox.enabled_wanted else MailboxStatus.DISABLED
            # One commit records the creation and its outcome together: if it is lost, the
            # next try finds the mailbox in dimail and recognises it as ours.
            done = {"status": status, "last_error": None, "sync_requested_at": None}
            if _record(mailbox, marked, facts, **done):
                if mailbox.confirmation_sent_at is None and mailbox.secondary_email:
                    job_id = confirmation_job_id(mailbox.id)
                    enqueue_once(send_confirmation, mailbox.id, sealed, job_id=job_id)
                elif "dimail_created_at" in facts and mailbox.secondary_email:
                    # Confirmed once, created again (dimail had lost it: jobs/drift.py): the
                    # owner's password changed with it, and this is not a second confirmation.
                    job_id = f"mailbox-restored-{mailbox.id}-{uuid.uuid4().hex}"
                    enqueue_once(send_restored, mailbox.id, sealed, job_id=job_id)
                return status
        db.session.refresh(mailbox)  # edited meanwhile: start over from the new wishes
    return "edited while syncing: left marked for the next run"


class _ActiveNotSupported(Exception):
    """This dimail ignores the `active` flag (2024 builds)."""


def _converge(client, domain: Domain, mailbox: Mailbox, facts: dict) -> str | None:
    """The calls that make dimail match the row; what each achieved goes into `facts` at once,
    so that a failure half-way still records it. Returns the sealed new password, if any."""
    sealed = None
    names_synced, dimail_enabled = mailbox.names_synced, mailbox.dimail_enabled
    if mailbox.dimail_created_at is None:
        sealed = _create(client, domain, mailbox)
        facts.update(dimail_created_at=utcnow(), dimail_enabled=True, names_synced=True)
        names_synced = dimail_enabled = True
    if not names_synced:
        client.update_mailbox(domain.name, mailbox.local_part, **_names(mailbox))
        facts["names_synced"] = True
    if dimail_enabled != mailbox.enabled_wanted:
        try:
            if mailbox.enabled_wanted:
                client.enable_mailbox(domain.name, mailbox.local_part, **_snake_names(mailbox))
            else:
                client.disable_mailbox(domain.name, mailbox.local_part)
        except DimailNotSupported as exc:
            raise _ActiveNotSupported from exc
        facts["dimail_enabled"] = mailbox.enabled_wanted
    return sealed


def _record(mailbox: Mailbox, marked, facts: dict, **outcome) -> bool:
    """Write `facts` and `outcome` if the row's mark is still `marked`, and commit; True then.

    Otherwise the row was edited meanwhile: only dimail's facts are written (names pushed by
    this run count as not pushed, the new ones may differ) and False is returned."""
    # Plain UPDATEs on the session's connection (same transaction), outside the ORM: the
    # loaded object is not touched (it is reloaded if the row was edited).
    connection = db.session.connection()
    values = {**facts, **outcome}
    mark = "unset" if marked is None else "equal"
    written = connection.execute(
        _update(tuple(values), mark), _params(mailbox.id, values, old_mark=marked)
    ).rowcount
    if not written:
        kept = {k: facts[k] for k in ("dimail_created_at", "dimail_enabled") if k in facts}
        if "names_synced" in facts:
            kept["names_synced"] = False
        if kept:
            connection.execute(_update(tuple(kept), "any"), _params(mailbox.id, kept))
    db.session.commit()
    return bool(written)


@functools.cache
def _update(columns: tuple[str, ...], mark: str):
    """UPDATE mailboxes SET `columns` WHERE id = :row_id, and the mark is unset, equal to
    :old_mark, or any: built once per shape, since building a statement costs more than
    running it, and a batch writes the same shape for every mailbox."""
    table = Mailbox.__table__
    stmt = db.update(table).where(table.c.id == db.bindparam("row_id"))
    if mark == "unset":
        stmt = stmt.where(table.c.sync_requested_at.is_(None))
    elif mark == "equal":
        old = db.bindparam("old_mark", type_=table.c.sync_requested_at.type)
        stmt = stmt.where(table.c.sync_requested_at == old)
    return stmt.values(
        {name: db.bindparam(f"new_{name}", type_=table.c[name].type) for name in columns}
    )


def _params(row_id: int, values: dict, **extra) -> dict:
    return {"row_id": row_id, **extra, **{f"new_{name}": v for name, v in values.items()}}


def _names(mailbox: Mailbox) -> dict:
    return {
        "givenName": mailbox.first_name,
        "surName": mailbox.last_name,
        "displayName": mailbox.display_name,
    }


def _snake_names(mailbox: Mailbox) -> dict:
    return {
        "given_name": mailbox.first_name,
        "sur_name": mailbox.last_name,
        "display_name": mailbox.display_name,
    }


def _create(client, domain: Domain, mailbox: Mailbox):
    """Create in dimail; returns the sealed password (None when an earlier try made it)."""
    try:
        created = client.create_mailbox(domain.name, mailbox.local_part, **_snake_names(mailbox))
    except DimailUnavailable as exc:
        if exc.status != 500:
            raise
        return _after_plain_500(client, domain, mailbox, exc)
    return secrets_box.seal(created["password"]) if created.get("password") else None


def _after_plain_500(client, domain: Domain, mailbox: Mailbox, exc: DimailUnavailable):
    """dimail answers a duplicate address, and a display name its webmail already has, with a
    plain 500: ask what it knows of the address (DIMAIL.md, Mailboxes)."""
    address = f"{mailbox.local_part}@{domain.name}"
    try:
        probe = client.probe_address(domain.name, mailbox.local_part)
    except DimailNotSupported:
        raise DimailRejected(f"dimail failed to create the mailbox ({exc.detail})", 500) from exc
    verdict = probe.verdict(address) if probe is not None else "free"
    if verdict == "display_name_taken":
        raise DimailRejected(
            f"the name “{mailbox.display_name}” is already used in the webmail by "
            f"{probe.ox_primary_email}; change the first or last name",
            409,
        ) from exc
    if verdict != "exists":
        raise exc  # nothing there (or only an alias): a fault on dimail's side, tried again
    existing = client.get_mailbox(domain.name, mailbox.local_part)
    if (existing.get("givenName"), existing.get("surName")) != (
        mailbox.first_name,
        mailbox.last_name,
    ):
        raise DimailRejected(
            f"{mailbox.local_part}@{domain.name} already exists in dimail for someone else", 409
        ) from exc
    return None  # ours, from a try whose answer was lost: its password is unknown


def _webmail_login_link(client, domain: Domain, mailbox: Mailbox) -> str | None:
    try:
        code = client.login_code(domain.name, mailbox.local_part)
    except DimailNotSupported:
        return None
    return f"{current_app.config['WEBMAIL_URL'].rstrip('/')}/code/{code['code']}"


SUBJECTS = {
    "confirmation": "Your mailbox {address} is ready",
    "password": "New password for {address}",
    "login_link": "Log in to {address}",
    "restored": "Your mailbox {address} was restored",
}


def _subject(kind: str, mailbox: Mailbox) -> str:
    return SUBJECTS[kind].format(address=mailbox.address)


def _email_failure(kind: str, column: str, feature: str | None = None, again: str = ""):
    """A recorder for an email job: why the email of `kind` did not leave goes into `column`
    of the mailbox (`email_error` for the confirmation and new password, `notice` for the
    actions a person asked for)."""

    def record(exc: Exception, final: bool, mailbox_id: int, *_args) -> failures.Failure:
        mailbox = db.session.get(Mailbox, mailbox_id)
        if mailbox is None:
            return failures.describe(exc, "an email to a mailbox since removed", final)
        what = f"the email “{_subject(kind, mailbox)}” to {mailbox.secondary_email}"
        failure = failures.describe(exc, what, final, feature, again or "press Send again")
        setattr(mailbox, column, failure.reason)
        if kind == "confirmation" and not failure.transient:
            mailbox.email_given_up_at = utcnow()  # not the reconciler's to send again
        return failure

    return record


def _send(mailbox: Mailbox, kind: str, template: str, audit_entry=None, **context) -> None:
    """Send to the secondary email; a failure is the job's to record (and RQ's to retry).

    `audit_entry`, (kind, message, actor), is recorded once the email has left, in the same
    transaction as the notice: the message must say what was sent, never the secret itself.
    """
    subject = _subject(kind, mailbox)
    fixed_id = None
    if kind == "confirmation":  # one per mailbox: a repeat folds into the first
        fixed_id = f"<confirmation.{mailbox.id}.{mailbox.domain.name}@{mail.MESSAGE_ID_DOMAIN}>"
    message = mail.build(
        mailbox.secondary_email,
        subject,
        template,
        message_id=fixed_id,
        mailbox=mailbox,
        address=mailbox.address,
        webmail_url=current_app.config["WEBMAIL_URL"],
        **context,
    )
    mail.send(message)
    mailbox.email_error = None
    mailbox.notice = f"“{subject}” was sent to {mailbox.secondary_email}."
    if audit_entry is not None:
        kind, text, actor = audit_entry
        audit.record(mailbox.domain, kind, text, target=_target(mailbox), actor=actor)
    db.session.commit()


@job(on_failure=_email_failure("confirmation", "email_error"))
def send_confirmation(mailbox_id: int, sealed_password: str | None) -> str:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None or not mailbox.secondary_email:
        return "nobody to tell"
    if mailbox.confirmation_sent_at is not None:
        return "already sent"  # before any dimail call: a repeat mints no login code
    link, password = _link_or_password(mailbox, sealed_password)
    mailbox.confirmation_sent_at = utcnow()  # committed with the send's outcome below
    mailbox.email_given_up_at = None
    _send(mailbox, "confirmation", "mailbox_confirmation", login_link=link, password=password)
    return "sent"


def _link_or_password(mailbox: Mailbox, sealed_password: str | None):
    """(login link, password) for an email about a new mailbox: the link when dimail offers
    codes, the password as well with SEND_MAILBOX_PASSWORD, or when there is no link."""
    domain = mailbox.domain
    client = dimail_client()
    link = _webmail_login_link(client, domain, mailbox)
    password = None
    if current_app.config["SEND_MAILBOX_PASSWORD"] or link is None:
        if sealed_password is None and link is None:
            # Created by an earlier try whose answer (and password) was lost: get a new one.
            try:
                sealed_password = secrets_box.seal(
                    client.reset_password(domain.name, mailbox.local_part)["password"]
                )
            except DimailNotSupported:
                sealed_password = None
        password = secrets_box.unseal(sealed_password) if sealed_password else None
    return link, password


@job(on_failure=_email_failure("restored", "email_error"))
def send_restored(mailbox_id: int, sealed_password: str | None) -> str:
    """Tell the owner that dimail created their mailbox again, with its new way in."""
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None or not mailbox.secondary_email:
        return "nobody to tell"
    link, password = _link_or_password(mailbox, sealed_password)
    _send(mailbox, "restored", "mailbox_restored", login_link=link, password=password)
    return "sent"


def _record_reset_failure(exc: Exception, final: bool, mailbox_id: int, *_args) -> failures.Failure:
    mailbox = db.session.get(Mailbox, mailbox_id)
    what = f"the password reset of {_target(mailbox)}" if mailbox else "a password reset"
    failure = failures.describe(
        exc, what, final, feature="password resets", again="ask for a new password again"
    )
    if mailbox is not None:
        mailbox.notice = failure.reason
    return failure


@job(on_failure=_record_reset_failure)
def reset_password(mailbox_id: int, asked_by: int | None = None) -> str:
    """A new password from dimail, emailed in the same job: a failure to send is retried with
    the reset, so a password dimail set is never left unsent (each try sets a fresh one, and
    only the last one sent works)."""
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return "gone"
    result = dimail_client().reset_password(mailbox.domain.name, mailbox.local_part)
    entry = (
        "mailbox.password_reset",
        f"A new password for {_target(mailbox)} was sent to {mailbox.secondary_email}.",
        _user(asked_by),
    )
    _send(mailbox, "password", "mailbox_password", entry, password=result["password"])
    return "sent"


@job(
    on_failure=_email_failure(
        "login_link", "notice", feature="login links", again="send the link again"
    )
)
def send_login_link(mailbox_id: int, asked_by: int | None = None) -> str:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return "gone"
    link = _webmail_login_link(dimail_client(), mailbox.domain, mailbox)
    if link is None:
        mailbox.notice = NOT_SUPPORTED.format(what="login links")
        db.session.commit()
        return "not supported"
    entry = (
        "mailbox.login_link",
        f"A login link for {_target(mailbox)} was sent to {mailbox.secondary_email}.",
        _user(asked_by),
    )
    _send(mailbox, "login_link", "mailbox_login_link", entry, login_link=link)
    return "sent"

"""The sync of one mailbox: make dimail's copy match our row.

`sync_mailbox` converges: it creates the mailbox if dimail lacks it, pushes names that changed,
and enables or disables it as wanted; run twice, it does nothing the second time.
"""

from flask import g

from webapp import audit, secrets_box
from webapp.dimail.client import DimailNotSupported, DimailUnavailable
from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.mailboxes import emails
from webapp.jobs.mailboxes.claims import MailboxBusy, claim, release
from webapp.jobs.mailboxes.rows import record_outcome
from webapp.jobs.queue import enqueue_marked, enqueue_once
from webapp.messages import say
from webapp.models import Domain, DomainStatus, Mailbox, MailboxStatus
from webapp.models.base import utcnow

EDITED_ROUNDS = 3  # a mailbox edited again and again while it syncs waits for the next run


def sync_job_id(mailbox_id: int) -> str:
    return f"mailbox-sync-{mailbox_id}"


def request_sync(mailbox: Mailbox) -> bool:
    return enqueue_marked(mailbox, sync_mailbox, sync_job_id(mailbox.id))


def fail(mailbox: Mailbox, exc: Exception, final: bool) -> failures.Failure:
    """Write why the sync of `mailbox` failed; when no retry follows, clear its mark (and fail
    it if dimail never had it). Like every outcome, only if the row was not edited meanwhile."""
    created = mailbox.dimail_created_at is not None
    address = emails.target(mailbox)
    what = say("work.mailbox_change" if created else "work.mailbox_creation", address=address)
    failure = failures.describe(exc, what, final)
    outcome: dict = {"last_error": failure.reason}
    if failure.final:
        outcome["sync_requested_at"] = None
        if not created:
            outcome["status"] = MailboxStatus.FAILED
    marked = g.get("sync_marks", {}).get(mailbox.id, mailbox.sync_requested_at)
    if record_outcome(mailbox, marked, {}, **outcome) and failure.final:
        audit.record(mailbox.domain, "mailbox.failed", failure.cause, target=address)
        db.session.commit()
    return failure


def _record_sync_failure(exc: Exception, final: bool, mailbox_id: int) -> failures.Failure:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return failures.describe(exc, say("work.mailbox_gone"), final)
    return fail(mailbox, exc, final)


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
    if not claim([mailbox_id]):
        raise MailboxBusy(f"mailbox {mailbox_id} is being synced by another job")
    try:
        db.session.refresh(mailbox)  # what the other job left, if one just finished
        return sync_one(dimail_client(), domain, mailbox)
    finally:
        release([mailbox_id])


def sync_one(client, domain: Domain, mailbox: Mailbox) -> str:
    """Make dimail's copy of one mailbox match ours; commits what it did.

    An edit saved while this runs is never overwritten: the outcome is written only if the
    row's mark is still the one this run started from (rows.record_outcome). Otherwise what
    dimail now has is kept, and the run starts over from the edited row."""
    marks = g.setdefault("sync_marks", {})  # read by fail() if this run ends in an error
    for _ in range(EDITED_ROUNDS):
        marked = marks[mailbox.id] = mailbox.sync_requested_at
        facts: dict = {}  # what dimail now has, learned by this run's calls
        try:
            sealed = _converge(client, domain, mailbox, facts)
        except _ActiveNotSupported:
            if _record_active_ignored(mailbox, marked, facts):
                return "not supported"
        except Exception:
            if facts:  # keep what dimail now has; the wrapper says what went wrong
                record_outcome(mailbox, marked, facts)
            raise
        else:
            status = MailboxStatus.ENABLED if mailbox.enabled_wanted else MailboxStatus.DISABLED
            # One commit records the creation and its outcome together: if it is lost, the
            # next try finds the mailbox in dimail and recognises it as ours.
            done = {"status": status, "last_error": None, "sync_requested_at": None}
            if record_outcome(mailbox, marked, facts, **done):
                _tell_the_owner(mailbox, facts, sealed)
                return status
        db.session.refresh(mailbox)  # edited meanwhile: start over from the new wishes
    return "edited while syncing: left marked for the next run"


def _record_active_ignored(mailbox: Mailbox, marked, facts: dict) -> bool:
    """An older dimail ignores `active`: say so, and show what dimail really has. It changed
    nothing, so the flag is what the row knew before; not known, it is active (such a dimail
    keeps every mailbox active)."""
    wanted = "disabling_mailboxes" if mailbox.enabled_wanted is False else "enabling_mailboxes"
    active = mailbox.dimail_enabled is not False
    return record_outcome(
        mailbox, marked, facts, enabled_wanted=active, dimail_enabled=active,
        status=MailboxStatus.ENABLED if active else MailboxStatus.DISABLED,
        last_error=None, sync_requested_at=None,
        notice=say("failure.not_supported", feature=say(f"feature.{wanted}")),
    )  # fmt: skip


def _tell_the_owner(mailbox: Mailbox, facts: dict, sealed: str | None) -> None:
    if not mailbox.secondary_email:
        return
    if mailbox.confirmation_sent_at is None:
        job_id = emails.confirmation_job_id(mailbox.id)
        enqueue_once(emails.send_confirmation, mailbox.id, sealed, job_id=job_id)
    elif "dimail_created_at" in facts:
        # Confirmed once, created again (dimail had lost it: jobs/drift.py): the owner's
        # password changed with it, and this is not a second confirmation.
        emails.request_restored(mailbox, sealed)


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
        if mailbox.dimail_created_at is not None:
            _forget_active_flag(mailbox)
        try:
            if mailbox.enabled_wanted:
                client.enable_mailbox(domain.name, mailbox.local_part, **_snake_names(mailbox))
            else:
                client.disable_mailbox(domain.name, mailbox.local_part)
        except DimailNotSupported as exc:
            raise _ActiveNotSupported from exc
        facts["dimail_enabled"] = mailbox.enabled_wanted
    return sealed


def _forget_active_flag(mailbox: Mailbox) -> None:
    """Commit, before the call that may change it, that dimail's active flag is not known.

    Should this run end between dimail's answer and the outcome's commit (a worker killed, an
    answer lost), the row would otherwise keep the flag dimail had before; the person enabling
    it again would then make wish and belief equal, and no later run would send it. Not known,
    the flag is sent again by the next run (the calls are idempotent), and the row counts as
    owed (`owed_clause`). A plain UPDATE, committed without expiring what this run loaded."""
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.execute(
            db.update(Mailbox)
            .where(Mailbox.id == mailbox.id)
            .values(dimail_enabled=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    finally:
        session.expire_on_commit = expiring


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
        raise failures.refused(say("refusal.creation_failed", detail=exc.detail), 500) from exc
    verdict = probe.verdict(address) if probe is not None else "free"
    if verdict == "display_name_taken":
        raise failures.refused(
            say(
                "refusal.display_name_taken",
                name=mailbox.display_name,
                holder=probe.ox_primary_email,
            )
        ) from exc
    if verdict != "exists":
        raise exc  # nothing there (or only an alias): a fault on dimail's side, tried again
    existing = client.get_mailbox(domain.name, mailbox.local_part)
    if (existing.get("givenName"), existing.get("surName")) != (
        mailbox.first_name,
        mailbox.last_name,
    ):
        raise failures.refused(say("refusal.address_taken", address=address)) from exc
    return None  # ours, from a try whose answer was lost: its password is unknown

"""The emails about one mailbox: its confirmation, a restored mailbox, a new password, a login
link. Generated passwords only travel sealed (webapp.secrets_box) from one job to another."""

import uuid

from flask import current_app

from webapp import audit, mail, secrets_box
from webapp.dimail.client import DimailNotSupported
from webapp.extensions import db
from webapp.i18n import account_locale, speaking
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import enqueue_once
from webapp.messages import Said, say
from webapp.models import Mailbox, User
from webapp.models.base import utcnow


def confirmation_job_id(mailbox_id: int) -> str:
    return f"mailbox-confirmation-{mailbox_id}"


def request_confirmation(mailbox: Mailbox) -> bool:
    """Queue the confirmation again (without the first password: a login link or a new one)."""
    return enqueue_once(send_confirmation, mailbox.id, None, job_id=confirmation_job_id(mailbox.id))


def request_restored(mailbox: Mailbox, sealed_password: str | None) -> bool:
    job_id = f"mailbox-restored-{mailbox.id}-{uuid.uuid4().hex}"
    return enqueue_once(send_restored, mailbox.id, sealed_password, job_id=job_id)


def enqueue_action(func, mailbox: Mailbox, asked_by: int | None = None) -> bool:
    # One-shot actions (reset, login link): a unique id each time, a click is a request.
    # `asked_by` (a user id) is who the audit log names once the email has left.
    return enqueue_once(
        func, mailbox.id, asked_by, job_id=f"{func.__name__}-{mailbox.id}-{uuid.uuid4().hex}"
    )


def target(mailbox: Mailbox) -> str:
    return f"{mailbox.local_part}@{mailbox.domain.unicode_name}"


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def _subject(kind: str, mailbox: Mailbox) -> Said:
    return say(f"subject.{kind}", address=mailbox.address)


def _email_failure(kind: str, column: str, feature: Said | None = None, again: Said | None = None):
    """A recorder for an email job: why the email of `kind` did not leave goes into `column`
    of the mailbox (`email_error` for the confirmation and new password, `notice` for the
    actions a person asked for)."""

    def record(exc: Exception, final: bool, mailbox_id: int, *_args) -> failures.Failure:
        mailbox = db.session.get(Mailbox, mailbox_id)
        if mailbox is None:
            return failures.describe(exc, say("work.email_gone"), final)
        what = say("work.email", subject=_subject(kind, mailbox), recipient=mailbox.secondary_email)
        failure = failures.describe(exc, what, final, feature, again or say("again.send_again"))
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
        fixed_id = f"<confirmation.{mailbox.id}.{mailbox.domain.name}@{mail.message_id_domain()}>"
    # The recipient's language if they have an account, else that of who asked or created.
    actor = audit_entry[2] if audit_entry else None
    actor_locale = actor.locale if actor is not None else None
    with speaking(account_locale(mailbox.secondary_email), actor_locale, mailbox.locale):
        message = mail.build(
            mailbox.secondary_email,
            str(subject),
            template,
            message_id=fixed_id,
            mailbox=mailbox,
            address=mailbox.address,
            webmail_url=current_app.config["WEBMAIL_URL"],
            **context,
        )
    mail.send(message)
    mailbox.email_error = None
    mailbox.notice = say("mailbox.email_sent", subject=subject, recipient=mailbox.secondary_email)
    if audit_entry is not None:
        kind, said, actor = audit_entry
        audit.record(mailbox.domain, kind, said, target=target(mailbox), actor=actor)
    db.session.commit()


def webmail_login_link(client, domain, mailbox: Mailbox) -> str | None:
    try:
        code = client.login_code(domain.name, mailbox.local_part)
    except DimailNotSupported:
        return None
    return f"{current_app.config['WEBMAIL_URL'].rstrip('/')}/code/{code['code']}"


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
    link = webmail_login_link(client, domain, mailbox)
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
    what = (
        say("work.password_reset", address=target(mailbox))
        if mailbox
        else say("work.password_reset_gone")
    )
    failure = failures.describe(
        exc, what, final, feature=say("feature.password_resets"), again=say("again.new_password")
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
    said = say("audit.password_sent", address=target(mailbox), recipient=mailbox.secondary_email)
    entry = ("mailbox.password_reset", said, _user(asked_by))
    _send(mailbox, "password", "mailbox_password", entry, password=result["password"])
    return "sent"


@job(
    on_failure=_email_failure(
        "login_link", "notice", feature=say("feature.login_links"), again=say("again.login_link")
    )
)
def send_login_link(mailbox_id: int, asked_by: int | None = None) -> str:
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is None:
        return "gone"
    link = webmail_login_link(dimail_client(), mailbox.domain, mailbox)
    if link is None:
        mailbox.notice = say("failure.not_supported", feature=say("feature.login_links"))
        db.session.commit()
        return "not supported"
    said = say("audit.login_link_sent", address=target(mailbox), recipient=mailbox.secondary_email)
    entry = ("mailbox.login_link", said, _user(asked_by))
    _send(mailbox, "login_link", "mailbox_login_link", entry, login_link=link)
    return "sent"

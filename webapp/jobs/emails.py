"""Email jobs: rendered and sent in the worker; SMTP failures are retried by RQ."""

import smtplib

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import mail, secrets_box
from webapp.dimail import checks as dimail_checks
from webapp.extensions import db
from webapp.i18n import account_locale, speaking
from webapp.jobs import failures
from webapp.jobs.context import job
from webapp.messages import say
from webapp.models import Domain, DomainStatus, Invitation, PasswordToken
from webapp.models.base import utcnow

SUBJECTS = {
    DomainStatus.ENABLED: _l("Your mail domain %(name)s is ready"),
    DomainStatus.ACTION_REQUIRED: _l("Action required on your mail domain %(name)s"),
    DomainStatus.FAILED: _l("Your mail domain %(name)s needs the platform's support"),
}


@job
def send_domain_status_email(domain_id: int, status: str) -> str:
    domain = db.session.get(Domain, domain_id)
    if domain is None:
        return "gone"
    status = DomainStatus(status)
    if domain.status != status:
        return "status changed again since: not sent"
    with _url_context():
        link = url_for("domains.show", domain=domain.name, _external=True)
    # In the domain's language: the support address has no account to read a choice from.
    with speaking(domain.locale):
        message = mail.build(
            domain.support_email,
            str(SUBJECTS[status]) % {"name": domain.unicode_name},
            "domain_status",
            domain=domain,
            status=status,
            link=link,
            checks=dimail_checks,
        )
    mail.send(message)
    domain.status_email_due = False
    db.session.commit()
    return "sent"


def _url_context():
    from flask import current_app

    return current_app.test_request_context(base_url=current_app.config["BASE_URL"])


@job
def send_invitation(invitation_id: int, sealed_token: str) -> str:

    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at or invitation.cancelled_at:
        return "no longer pending"
    token = secrets_box.unseal(sealed_token)
    if token is None:
        return "link too old: re-send the invitation"
    with _url_context():
        link = url_for("accesses.accept", token=token, _external=True)
    # The invitee's language if they have an account, else the inviter's.
    inviter_locale = invitation.invited_by.locale if invitation.invited_by else None
    with speaking(account_locale(invitation.email), invitation.locale, inviter_locale):
        inviter = invitation.invited_by.display_name if invitation.invited_by else _("Someone")
        subject = _(
            "%(inviter)s invites you to manage the mail domain %(domain)s",
            inviter=inviter,
            domain=invitation.domain.unicode_name,
        )
        message = mail.build(
            invitation.email,
            subject,
            "invitation",
            invitation=invitation,
            inviter=inviter,
            link=link,
        )
    try:
        mail.send(message)
    except (OSError, smtplib.SMTPException) as exc:
        what = say("work.invitation_email", recipient=invitation.email)
        invitation.email_error = failures.describe(exc, what, final=False).reason
        db.session.commit()
        raise
    invitation.sent_at = utcnow()
    invitation.email_error = None
    db.session.commit()
    return "sent"


@job
def send_password_link(token_id: int, sealed_token: str) -> str:

    record = db.session.get(PasswordToken, token_id)
    if record is None or record.used_at:
        return "no longer needed"
    token = secrets_box.unseal(sealed_token)
    if token is None:
        return "link too old"
    with _url_context():
        link = url_for("auth.reset_password", token=token, _external=True)
    template = "account_setup" if record.purpose == "setup" else "password_reset"
    with speaking(record.user.locale):
        setup = record.purpose == "setup"
        subject = _("Your account on Mail domains") if setup else _("Reset your password")
        message = mail.build(record.user.email, subject, template, user=record.user, link=link)
    mail.send(message)
    return "sent"

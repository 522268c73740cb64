"""Building emails from templates (text and HTML parts) and sending them over SMTP."""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app

log = logging.getLogger(__name__)

# When MAIL_FROM names no domain: ids stay well-formed and unique all the same.
FALLBACK_MESSAGE_ID_DOMAIN = "mail-domains.local"


def message_id_domain() -> str:
    """The right-hand side of our Message-IDs: the domain of MAIL_FROM, the one our emails
    come from (RFC 5322 asks only for uniqueness; a domain we own keeps them apart from
    others')."""
    _name, address = parseaddr(current_app.config["MAIL_FROM"])
    _local, at, domain = address.rpartition("@")
    return domain.strip().lower() if at and domain.strip() else FALLBACK_MESSAGE_ID_DOMAIN


def build(
    to: str, subject: str, template: str, *, message_id: str | None = None, **context
) -> EmailMessage:
    """`template` names templates/emails/<template>.txt and .html. `message_id`: a fixed id
    ("<...@...>") for an email that may, rarely, leave twice (a worker killed between the
    SMTP server's acceptance and our commit): mail clients then show it once."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    # The time it was built: clients sort by it, and some flag a message without one.
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=message_id_domain())
    # RFC 3834: no person wrote it, so vacation responders and auto-replies stay silent.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_render(f"emails/{template}.txt", subject=subject, **context))
    message.add_alternative(
        _render(f"emails/{template}.html", subject=subject, **context), subtype="html"
    )
    return message


def _render(name: str, **context) -> str:
    # Straight from the Jinja environment: emails are built in jobs, outside any request, and
    # need none of the page context processors.
    return current_app.jinja_env.get_template(name).render(**context)


class PlaintextRefused(smtplib.SMTPException):
    """The mail server offers no STARTTLS, and our credentials are not sent in clear."""


def send(message: EmailMessage) -> None:
    """Send over SMTP; raises OSError / smtplib.SMTPException for the job to retry."""
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        smtp.ehlo()
        if config["SMTP_USER"]:
            _secure(smtp, config)
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
    log.info("sent %r to %s", message["Subject"], message["To"])


def _secure(smtp: smtplib.SMTP, config) -> None:
    """TLS before the credentials: with the server's certificate checked, since a TLS that
    anyone in the middle can answer protects no password."""
    if smtp.has_extn("starttls"):
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    elif not config["SMTP_ALLOW_PLAINTEXT"]:
        # Raised as an SMTP error: the email waits and is sent once the setting is corrected.
        raise PlaintextRefused(
            f"the mail server {config['SMTP_HOST']} offers no TLS (STARTTLS), and SMTP_USER "
            "and SMTP_PASSWORD are not sent in clear unless SMTP_ALLOW_PLAINTEXT is set"
        )

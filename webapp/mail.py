"""Building emails from templates (text and HTML parts) and sending them over SMTP."""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger(__name__)


MESSAGE_ID_DOMAIN = "mail-domains.local"


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
    message["Message-ID"] = message_id or make_msgid(domain=MESSAGE_ID_DOMAIN)
    message.set_content(_render(f"emails/{template}.txt", subject=subject, **context))
    message.add_alternative(
        _render(f"emails/{template}.html", subject=subject, **context), subtype="html"
    )
    return message


def _render(name: str, **context) -> str:
    # Straight from the Jinja environment: emails are built in jobs, outside any request, and
    # need none of the page context processors.
    return current_app.jinja_env.get_template(name).render(**context)


def send(message: EmailMessage) -> None:
    """Send over SMTP; raises OSError / smtplib.SMTPException for the job to retry."""
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        smtp.ehlo()
        if config["SMTP_USER"]:
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
    log.info("sent %r to %s", message["Subject"], message["To"])

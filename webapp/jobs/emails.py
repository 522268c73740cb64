"""Email jobs: rendered and sent in the worker; SMTP failures are retried by RQ."""

from flask import url_for

from webapp import mail
from webapp.dimail import checks as dimail_checks
from webapp.extensions import db
from webapp.jobs.context import job
from webapp.models import Domain, DomainStatus

SUBJECTS = {
    DomainStatus.ENABLED: "Your mail domain {name} is ready",
    DomainStatus.ACTION_REQUIRED: "Action required on your mail domain {name}",
    DomainStatus.FAILED: "Your mail domain {name} needs the platform's support",
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
    message = mail.build(
        domain.support_email,
        SUBJECTS[status].format(name=domain.unicode_name),
        "domain_status",
        domain=domain,
        status=status,
        link=link,
        checks=dimail_checks,
    )
    mail.send(message)
    return "sent"


def _url_context():
    from flask import current_app

    return current_app.test_request_context(base_url=current_app.config["BASE_URL"])

"""Recording changes in the audit log, inside the caller's transaction.

`record(...)` only adds the entry to the session: it is committed with the change it
describes, by the caller. Kinds are a closed list so that the log page can filter on them.
"""

from flask import has_request_context
from flask_login import current_user

from webapp.extensions import db
from webapp.messages import Said
from webapp.models.audit import AuditEntry

KINDS = {
    "domain.created": "Domain created",
    "domain.status": "Domain status changed",
    "domain.checked": "Domain checked",
    "domain.pushed": "Sent again to dimail",
    "mailbox.created": "Mailbox created",
    "mailbox.edited": "Mailbox edited",
    "mailbox.disabled": "Mailbox disabled",
    "mailbox.enabled": "Mailbox enabled",
    "mailbox.failed": "Mailbox refused by dimail",
    "mailbox.password_reset": "Password reset sent",
    "mailbox.login_link": "Login link sent",
    "mailbox.imported": "Imported from dimail",
    "alias.added": "Alias destination added",
    "alias.removed": "Alias destination removed",
    "alias.failed": "Alias refused by dimail",
    "access.granted": "Access granted",
    "access.changed": "Role changed",
    "access.removed": "Access removed",
    "invitation.sent": "Invitation sent",
    "invitation.accepted": "Invitation accepted",
    "invitation.cancelled": "Invitation cancelled",
}
PLATFORM = "the platform"


def record(domain, kind: str, message: Said, *, target: str = "", actor=None) -> AuditEntry:
    """Add an entry to the session; `actor` defaults to the logged-in user, else the platform."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    entry = AuditEntry(
        domain_id=getattr(domain, "id", domain),
        actor_id=getattr(actor, "id", None),
        actor_label=actor.email if actor is not None else PLATFORM,
        kind=kind,
        target=target[:300],
        message=message,
    )
    db.session.add(entry)
    return entry

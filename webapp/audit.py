"""Recording changes in the audit log, inside the caller's transaction.

`record(...)` only adds the entry to the session: it is committed with the change it
describes, by the caller. Kinds are a closed list so that the log page can filter on them.
"""

from flask import has_request_context
from flask_login import current_user

from webapp.extensions import db
from webapp.messages import Said
from webapp.models.audit import AuditEntry
from webapp.models.base import utcnow
from webapp.wordings import N_

KINDS = {
    "domain.created": N_("Domain created"),
    "domain.status": N_("Domain status changed"),
    "domain.checked": N_("Domain checked"),
    "domain.pushed": N_("Sent again to dimail"),
    "mailbox.created": N_("Mailbox created"),
    "mailbox.edited": N_("Mailbox edited"),
    "mailbox.disabled": N_("Mailbox disabled"),
    "mailbox.enabled": N_("Mailbox enabled"),
    "mailbox.failed": N_("Mailbox refused by dimail"),
    "mailbox.password_reset": N_("Password reset sent"),
    "mailbox.login_link": N_("Login link sent"),
    "mailbox.imported": N_("Imported from dimail"),
    "import.file": N_("Imported from a file"),
    "alias.added": N_("Alias destination added"),
    "alias.removed": N_("Alias destination removed"),
    "alias.failed": N_("Alias refused by dimail"),
    "access.granted": N_("Access granted"),
    "access.changed": N_("Role changed"),
    "access.removed": N_("Access removed"),
    "invitation.sent": N_("Invitation sent"),
    "invitation.accepted": N_("Invitation accepted"),
    "invitation.cancelled": N_("Invitation cancelled"),
}
# Changes to an account rather than to a domain: recorded with no domain, so that no domain's
# log shows them (nor offers them in its filter).
ACCOUNT_KINDS = {
    "account.two_factor_on": N_("Two-factor authentication turned on"),
    "account.two_factor_off": N_("Two-factor authentication turned off"),
    "account.recovery_codes": N_("Recovery codes renewed"),
    "account.two_factor_reset": N_("Two-factor authentication reset by the staff"),
}
PLATFORM = "the platform"


def _actor(actor):
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    return actor


def record(domain, kind: str, message: Said, *, target: str = "", actor=None) -> AuditEntry:
    """Add an entry to the session; `actor` defaults to the logged-in user, else the platform."""
    if kind not in KINDS and not (domain is None and kind in ACCOUNT_KINDS):
        raise ValueError(f"unknown audit kind {kind!r}")
    actor = _actor(actor)
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


def record_many(domain, kind: str, entries: list[tuple[str, Said]], *, actor=None) -> None:
    """One entry per (target, message), written in one statement (an import of thousands);
    inside the caller's transaction like `record`."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    if not entries:
        return
    actor = _actor(actor)
    common = {
        "domain_id": getattr(domain, "id", domain),
        "actor_id": getattr(actor, "id", None),
        "actor_label": actor.email if actor is not None else PLATFORM,
        "kind": kind,
        "created_at": utcnow(),
    }
    rows = [{**common, "target": target[:300], "message": message} for target, message in entries]
    db.session.execute(db.insert(AuditEntry), rows)

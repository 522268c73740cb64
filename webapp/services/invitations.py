"""Inviting people to a domain, and accepting an invitation from its emailed link.

Tokens are random, kept only as a hash, single-use and expiring; the token itself travels only
sealed (webapp.secrets_box) to the job that emails it.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from webapp import audit, i18n, secrets_box
from webapp.extensions import db
from webapp.jobs.emails import send_invitation
from webapp.jobs.queue import enqueue_once
from webapp.messages import say
from webapp.models import Domain, Invitation, Role, User
from webapp.models.base import utcnow
from webapp.models.invitation import hash_token, new_token
from webapp.models.user import normalise_email
from webapp.permissions import ABOVE_OWN, grantable_roles
from webapp.services import accesses
from webapp.services.accounts import (
    find_user_by_email,
    password_problem,
    passwords_for,
    sso_only_message,
)
from webapp.services.results import Result
from webapp.validators import InvalidValue, clean_person_name, normalise_email_address

QUEUE_DOWN = _l(
    "The invitation is saved, but the email could not be queued: use “Re-send” shortly."
)


def _already(email: str, role) -> str:
    return _("%(email)s is already a collaborator (%(role)s).", email=email, role=Role(role).said)


def pending(domain: Domain) -> list[Invitation]:
    return db.session.scalars(
        db.select(Invitation)
        .where(
            Invitation.domain_id == domain.id,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
    ).all()


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_DAYS"])


def invite(domain: Domain, email: str, role: str, actor, actor_role) -> Result:
    errors = {}
    try:
        email = normalise_email_address(email)
    except InvalidValue as exc:
        errors["email"] = str(exc)
    allowed = grantable_roles(actor, actor_role)
    try:
        role = Role(role)
        if role not in allowed:
            errors["role"] = ABOVE_OWN
    except ValueError:
        errors["role"] = say("access.choose_role")
    if errors:
        return Result.failure(**errors)

    user = find_user_by_email(email)
    if user is not None:
        if existing := accesses.role_of(domain, user.id):
            return Result.failure(email=_already(email, existing))
        if accesses.grant(domain, user, role) not in db.session.new:
            # Granted by a parallel invitation since our check above: theirs stands.
            db.session.rollback()
            existing = accesses.role_of(domain, user.id) or role
            return Result.failure(email=_already(email, existing))
        try:
            db.session.commit()
        except IntegrityError:
            # Invited by someone else between our check and our insert: theirs stands.
            db.session.rollback()
            existing = accesses.role_of(domain, user.id) or role
            return Result.failure(email=_already(email, existing))
        return Result.success(
            user, _("%(email)s already has an account: they now have access.", email=email)
        )

    token, token_hash = new_token()
    invitation = Invitation(
        domain_id=domain.id, email=email, role=role, token_hash=token_hash,
        invited_by_id=actor.id, expires_at=utcnow() + _lifetime(),
        locale=i18n.current(),  # the inviter's, for the email unless the invitee has an account
    )  # fmt: skip
    db.session.add(invitation)
    audit.record(
        domain, "invitation.sent", say("audit.invitation_sent", email=email, role=role.said),
        target=email,
    )  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Result.failure(
            email=_(
                "An invitation to %(email)s is already pending: re-send it from the list.",
                email=email,
            )
        )
    return _send(invitation, token, _("An invitation was sent to %(email)s.", email=email))


def _send(invitation: Invitation, token: str, message: str) -> Result:

    queued = enqueue_once(
        send_invitation,
        invitation.id,
        secrets_box.seal(token),
        job_id=f"invitation-{invitation.id}-{token[:8]}",
    )
    if not queued:
        return Result.success(invitation, QUEUE_DOWN, "warning")
    return Result.success(invitation, message)


def find_for_domain(domain: Domain, invitation_id: int) -> Invitation | None:
    return db.session.scalar(
        db.select(Invitation).where(
            Invitation.id == invitation_id, Invitation.domain_id == domain.id
        )
    )


def resend(invitation: Invitation) -> Result:
    """A new link (the old one stops working) and a renewed expiry, then the email again."""
    if invitation.accepted_at or invitation.cancelled_at:
        return Result.failure(_("This invitation was already used or cancelled."))
    token, invitation.token_hash = new_token()
    invitation.expires_at = utcnow() + _lifetime()
    audit.record(
        invitation.domain_id, "invitation.sent",
        say("audit.invitation_sent_again", email=invitation.email), target=invitation.email,
    )  # fmt: skip
    db.session.commit()
    return _send(
        invitation, token, _("The invitation to %(email)s was sent again.", email=invitation.email)
    )


def cancel(invitation: Invitation) -> Result:
    if invitation.accepted_at or invitation.cancelled_at:
        return Result.failure(_("This invitation was already used or cancelled."))
    invitation.cancelled_at = utcnow()
    audit.record(
        invitation.domain_id, "invitation.cancelled",
        say("audit.invitation_cancelled", email=invitation.email), target=invitation.email,
    )  # fmt: skip
    db.session.commit()
    return Result.success(
        invitation, _("The invitation to %(email)s is cancelled.", email=invitation.email)
    )


UNUSABLE = {
    "unknown": _l(
        "This invitation link is not valid. Check that you copied all of it, or ask for "
        "a new invitation."
    ),
    "accepted": _l("This invitation was already used. Log in to reach the domain."),
    "cancelled": _l(
        "This invitation was cancelled. Ask the domain's administrators for a new one."
    ),
    "expired": _l("This invitation has expired. Ask the domain's administrators to send it again."),
}


def by_token(token: str) -> tuple[Invitation | None, str]:
    """The invitation and its state, or (None, "unknown")."""
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        return None, "unknown"
    return invitation, invitation.state


ACCOUNT_EXISTS = _l("An account with this email exists now: log in to accept.")
RACED = _l("Your access to this domain changed at the same moment: follow the link again.")


def _claim(invitation: Invitation, now) -> bool:
    """Mark the invitation accepted if it is still pending, in one conditional write.

    Of two acceptances at the same moment (the link followed twice), the second one's write
    waits for the first to commit (a row lock on PostgreSQL, the write lock on SQLite), then
    finds the invitation used and changes nothing: single use holds, nothing is granted twice.
    """
    claimed = db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(invitation, ["accepted_at"])
    return claimed == 1


def accept(invitation: Invitation, user: User) -> Result:
    """Turn this invitation into an access. The other pending invitations for the same email
    wait for the person to accept each (`waiting_for`): one link followed is one yes, never an
    owner's role on some other domain taken without being seen."""
    if not _claim(invitation, utcnow()):
        db.session.rollback()
        return Result.failure(UNUSABLE.get(invitation.state, UNUSABLE["accepted"]))
    accesses.grant(invitation.domain, user, Role(invitation.role), actor=user)
    audit.record(
        invitation.domain_id, "invitation.accepted",
        say("audit.invitation_accepted", email=user.email, role=Role(invitation.role).said),
        target=user.email, actor=user,
    )  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError:
        # The access was granted in parallel (an invitation of the existing account) between
        # our read and our insert. Caught here, before anything logs the statement with its
        # parameters.
        db.session.rollback()
        return Result.failure(RACED)
    return Result.success(invitation.domain)


def _waiting(email: str):
    return (
        db.select(Invitation)
        .where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at)
    )


def waiting_for(user: User) -> list[Invitation]:
    """The invitations addressed to the user's email that are still to be answered."""
    return db.session.scalars(_waiting(user.email)).all()


def find_waiting(user: User, invitation_id: int) -> Invitation | None:
    return db.session.scalar(_waiting(user.email).where(Invitation.id == invitation_id))


def accept_with_new_account(invitation: Invitation, name: str, password: str) -> Result:
    if not passwords_for(None):  # LOCAL_LOGIN=superusers: invitees sign in through the provider
        return Result.failure(sso_only_message())
    errors = {}
    try:
        name = clean_person_name(name, "name")
    except InvalidValue as exc:
        errors["name"] = str(exc)
    if problem := password_problem(password):
        errors["password"] = problem
    if errors:
        return Result.failure(**errors)
    if find_user_by_email(invitation.email) is not None:
        return Result.failure(ACCOUNT_EXISTS)
    user = User(email=normalise_email(invitation.email), name=name)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # The same link followed twice at once: the other request created the account between
        # the check above and this insert. Caught here, so that the statement's parameters (the
        # password hash among them) are logged nowhere.
        db.session.rollback()
        return Result.failure(ACCOUNT_EXISTS)
    accepted = accept(invitation, user)  # on failure it rolled back the account too
    if not accepted.ok:
        return accepted
    return Result.success(
        user,
        _("Welcome! You now have access to %(domain)s.", domain=invitation.domain.unicode_name),
    )

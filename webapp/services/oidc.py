"""Signing in through an OpenID Provider: which account the provider's answer stands for.

The account is found by the provider's (issuer, sub), which never changes. At a first sign-in
an existing account is linked only when the provider vouches for the email (`email_verified`):
an unverified email at some provider must not open someone else's account here. Without an
account, one is created when OIDC_CREATE_USERS allows it, or when the person followed an
invitation to that very email (the invitation is the permission), which is then accepted.
"""

import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import ExternalIdentity, Invitation, User
from webapp.models.base import utcnow
from webapp.services import invitations
from webapp.services.accounts import find_user_by_email
from webapp.services.results import Result
from webapp.validators import InvalidValue, clean_person_name, normalise_email_address
from webapp.wordings import N_

log = logging.getLogger(__name__)

DEACTIVATED = N_("This account is deactivated. Ask a superuser to reactivate it.")
UNVERIFIED = N_(
    "%(provider)s did not confirm that this email address is yours, so no account here can be "
    "opened with it. Confirm your address at %(provider)s, or log in with your password."
)
NO_EMAIL = N_("%(provider)s did not give your email address: no account can be found with it.")
NO_ACCOUNT = N_(
    "No account here uses %(email)s. Ask a domain's administrators to invite you, or a "
    "superuser to create your account."
)
OTHER_IDENTITY = N_(
    "The account %(email)s is already linked to another identity at %(provider)s. Sign in with "
    "that one, or ask a superuser."
)
WRONG_INVITEE = N_(
    "This invitation is for %(invited)s, and %(provider)s signed you in as %(email)s. Sign in "
    "there with the invited address, or ask for an invitation to yours."
)
RACED = N_("This sign-in crossed another one for the same account: sign in again.")


@dataclass
class SignedIn:
    user: User
    created: bool = False
    # The domain of the invitation accepted on the way, if any.
    joined: object = None


def _email_verified(claims: dict) -> bool:
    # Some providers send the JSON string rather than the boolean.
    return claims.get("email_verified") in (True, "true")


def _name(claims: dict) -> str:
    # ProConnect gives usual_name (the name in use) rather than family_name.
    family = claims.get("family_name") or claims.get("usual_name") or ""
    raw = claims.get("name") or f"{claims.get('given_name') or ''} {family}"
    try:
        return clean_person_name(str(raw), "name")
    except InvalidValue:
        return ""  # the person can still be told apart by their email


def find_identity(issuer: str, subject: str) -> ExternalIdentity | None:
    return db.session.scalar(
        db.select(ExternalIdentity).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    )


def sign_in(issuer: str, claims: dict, provider: str, invitation_id: int | None = None) -> Result:
    """The account for these (already verified) claims, or why there is none. `provider` is the
    name people know the provider by, for the messages."""
    subject = str(claims.get("sub") or "")
    identity = find_identity(issuer, subject) if subject else None
    if identity is not None:
        if not identity.user.is_active:
            return Result.failure(_(DEACTIVATED))
        identity.last_sign_in_at = utcnow()
        identity.email = str(claims.get("email") or identity.email)[:254]
        db.session.commit()
        return Result.success(SignedIn(identity.user))
    if not claims.get("email"):
        return Result.failure(_(NO_EMAIL, provider=provider))
    if not subject or not _email_verified(claims):
        return Result.failure(_(UNVERIFIED, provider=provider))
    try:
        email = normalise_email_address(str(claims["email"]))
    except InvalidValue:
        return Result.failure(_(NO_EMAIL, provider=provider))
    user = find_user_by_email(email)
    if user is not None:
        return _link(user, issuer, subject, email, provider)
    return _create(issuer, subject, email, _name(claims), provider, invitation_id)


def _identity(user: User, issuer: str, subject: str, email: str) -> ExternalIdentity:
    identity = ExternalIdentity(user=user, issuer=issuer, subject=subject, email=email)
    db.session.add(identity)
    return identity


def _link(user: User, issuer: str, subject: str, email: str, provider: str) -> Result:
    if not user.is_active:
        return Result.failure(_(DEACTIVATED))
    taken = db.session.scalar(
        db.select(ExternalIdentity.id).where(
            ExternalIdentity.user_id == user.id, ExternalIdentity.issuer == issuer
        )
    )
    if taken is not None:
        return Result.failure(_(OTHER_IDENTITY, email=user.email, provider=provider))
    _identity(user, issuer, subject, email)
    if not _committed():
        return Result.failure(_(RACED))
    log.info("account %s linked to its identity at %s", user.id, issuer)
    return Result.success(SignedIn(user))


def _invitation(invitation_id: int | None) -> Invitation | None:
    if invitation_id is None:
        return None
    invitation = db.session.get(Invitation, invitation_id)
    return invitation if invitation is not None and invitation.state == "pending" else None


def _create(issuer, subject, email, name, provider, invitation_id) -> Result:
    invitation = _invitation(invitation_id)
    invited = invitation is not None and invitation.email == email
    if not invited and not current_app.config["OIDC_CREATE_USERS"]:
        if invitation is not None:
            return Result.failure(
                _(WRONG_INVITEE, invited=invitation.email, email=email, provider=provider)
            )
        return Result.failure(_(NO_ACCOUNT, email=email))
    user = User(email=email, name=name)
    # Nobody knows this password: the account signs in through the provider (or sets one
    # from a "forgot password" link, where local login allows it).
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    _identity(user, issuer, subject, email)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the same first sign-in, twice at once: the other one stands
        return Result.failure(_(RACED))
    joined = None
    if invited:
        accepted = invitations.accept(invitation, user)  # commits, or rolls the account back
        if not accepted.ok:
            return accepted
        joined = accepted.value
    elif not _committed():
        return Result.failure(_(RACED))
    log.info("account %s created at its first sign-in through %s", user.id, issuer)
    return Result.success(SignedIn(user, created=True, joined=joined))


def _committed() -> bool:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True

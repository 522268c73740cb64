"""Who may do what: roles on a domain, the abilities they give, and the route guards.

Every view function carries an `access` attribute set by one of the decorators below
(`public`, `authenticated`, `superuser_required`, `require_role`); a test walks the URL map and
fails on any route without one, so no route is left unguarded by accident.
"""

import functools
from dataclasses import dataclass

from flask import abort, g
from flask_login import current_user, login_required

from webapp.extensions import db
from webapp.messages import Said, say
from webapp.models import Domain, DomainAccess, DomainStatus, Role
from webapp.models.user import normalise_email


def _domain_and_role(name: str, user) -> tuple[Domain | None, Role | None]:
    """The domain named in the URL and the user's role on it, in one query (every page of a
    domain needs both)."""
    row = db.session.execute(
        _domain_and_role_query(), {"name": name.lower(), "user_id": user.id}
    ).first()
    if row is None:
        return None, None
    return row[0], Role(row[1]) if row[1] else None


@functools.cache
def _domain_and_role_query():
    # Built once: on every page of a domain, building the statement cost as much as running it.
    return (
        db.select(Domain, DomainAccess.role)
        .outerjoin(
            DomainAccess,
            db.and_(
                DomainAccess.domain_id == Domain.id,
                DomainAccess.user_id == db.bindparam("user_id"),
            ),
        )
        .where(Domain.name == db.bindparam("name"))
    )


@dataclass(frozen=True)
class Abilities:
    """What the current user may do on one domain; templates and views read the same answer."""

    role: Role | None
    manage_mailboxes: bool
    run_checks: bool
    invite: bool
    set_status: bool


def abilities(user, domain: Domain, role: Role | None) -> Abilities:
    superuser = bool(user is not None and user.is_authenticated and user.is_superuser)
    effective = Role.OWNER if superuser else role
    writable = domain.status != DomainStatus.DISABLED
    is_admin = effective is not None and effective >= Role.ADMINISTRATOR
    return Abilities(
        role=role,
        manage_mailboxes=is_admin and writable,
        run_checks=is_admin and writable,
        invite=is_admin,
        set_status=superuser,
    )


def owns_mailbox(user, domain: Domain, local_part: str, **_) -> bool:
    """The user's own email is this mailbox's address: they may edit its names. The account
    keeps its domain in Unicode and the domain row in punycode: both are compared in one form."""
    return normalise_email(user.email) == normalise_email(f"{local_part or ''}@{domain.name}")


def is_self(user, domain: Domain, user_id, **_) -> bool:
    """The collaborator concerned is the user: leaving the domain."""
    return str(user.id) == str(user_id)


def may_create_domains(user, setting: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return setting == "anyone" or user.is_superuser


def _tag(view, access: str):
    view.access = access
    return view


def public(view):
    """Open to everybody, logged in or not."""
    return _tag(view, "public")


def authenticated(view):
    """Any logged-in user."""
    return _tag(login_required(view), "authenticated")


def superuser_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_superuser:
            abort(403)
        return view(*args, **kwargs)

    return _tag(login_required(wrapper), "superuser")


def require_role(minimum: Role, *, superuser_only: bool = False, or_if=None):
    """Load the `domain` URL argument into a Domain and check the user's role on it.

    Users with no role on the domain get 404, exactly as for a domain that does not exist, so
    that its existence is not revealed. Users with a role below `minimum` get 403, and so does
    everybody but superusers when `superuser_only` is set. `or_if(user, domain, **kwargs)` may
    let in someone below `minimum` for this one object (a viewer on their own mailbox).
    Superusers pass. The view receives the Domain object; `g.role` and `g.abilities` are set.
    """
    minimum = Role(minimum)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, domain: str, **kwargs):
            found, role = _domain_and_role(domain, current_user)
            if found is None:
                abort(404)
            if not current_user.is_superuser:
                if role is None:
                    abort(404)
                if superuser_only or (
                    role < minimum and not (or_if and or_if(current_user, found, **kwargs))
                ):
                    abort(403)
            g.domain = found
            g.role = role
            g.abilities = abilities(current_user, found, role)
            return view(*args, domain=found, **kwargs)

        wrapper = login_required(wrapper)
        wrapper.minimum_role = minimum
        wrapper.superuser_only = superuser_only
        return _tag(wrapper, "domain:superuser" if superuser_only else f"domain:{minimum.value}")

    return decorator


# The rank rules for collaborators, in one place: pages offer what these allow, services refuse
# what they do not, with the message the user sees.
LAST_OWNER = say("access.last_owner")
ONLY_MANAGERS = say("access.only_managers")
OWNER_BY_OWNER = say("access.owner_by_owner")
ABOVE_OWN = say("access.above_own")
OWNER_INVITATION = say("access.owner_invitation")


def role_change_refusal(
    actor, actor_role: Role | None, current: Role, new: Role | None, owners: int
) -> Said | None:
    """Why `actor` may not move a collaborator from `current` to `new` (None: remove), or None.

    `owners` is how many owners the domain has now. Leaving (the actor is the collaborator) is a
    removal like any other, except that anyone may leave.
    """
    if new == current:
        return None
    if current == Role.OWNER and new != Role.OWNER and owners <= 1:
        return LAST_OWNER  # an invariant: superusers are held to it too
    if actor.is_superuser:
        return None
    if actor_role is None or actor_role < Role.ADMINISTRATOR:
        return ONLY_MANAGERS
    if current == Role.OWNER and actor_role < Role.OWNER:
        return OWNER_BY_OWNER
    if new is not None and new > actor_role:
        return ABOVE_OWN
    return None


def grantable_roles(actor, actor_role: Role | None) -> list[Role]:
    """Roles the actor may give to a newcomer (an invitation)."""
    if actor.is_superuser:
        return list(Role)
    if actor_role is None or actor_role < Role.ADMINISTRATOR:
        return []
    return [role for role in Role if role <= actor_role]


def invitation_action_refusal(actor, actor_role: Role | None, invited_role: str) -> Said | None:
    """Why `actor` may not re-send (renew) or cancel an invitation to `invited_role`, or None:
    the rule of owners for collaborators holds for invitations to be owner too."""
    if actor.is_superuser:
        return None
    if actor_role is None or actor_role < Role.ADMINISTRATOR:
        return ONLY_MANAGERS
    if Role(invited_role) == Role.OWNER and actor_role < Role.OWNER:
        return OWNER_INVITATION
    return None

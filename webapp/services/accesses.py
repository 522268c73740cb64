"""Collaborators of a domain: listing them with what the current user may do, changing roles."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.exc import OperationalError

from webapp import audit
from webapp.extensions import db
from webapp.messages import Said, say
from webapp.models import Domain, DomainAccess, Role, User
from webapp.permissions import role_change_refusal
from webapp.services.results import Result

BUSY = say("access.busy")
GONE = say("access.gone")

# A no-op write on the domain's row: a row lock on PostgreSQL, the database's write lock on
# SQLite. Plain SQL, so that no onupdate default of the model fires.
_LOCK = sa.text("UPDATE domains SET id = id WHERE id = :id")


@dataclass(frozen=True)
class Member:
    user: User
    role: Role
    settable: tuple[Role, ...]  # roles the current user may switch this member to
    removable: bool
    is_me: bool


def _owners(domain: Domain) -> int:
    return db.session.scalar(
        db.select(func.count(DomainAccess.id)).where(
            DomainAccess.domain_id == domain.id, DomainAccess.role == Role.OWNER
        )
    )


def members(domain: Domain, actor, actor_role: Role | None) -> list[Member]:
    rows = db.session.execute(
        db.select(User, DomainAccess.role)
        .join(DomainAccess, DomainAccess.user_id == User.id)
        .where(DomainAccess.domain_id == domain.id)
        .order_by(User.email)
    ).all()
    owners = sum(1 for _, role in rows if role == Role.OWNER)
    result = []
    for user, role in rows:
        role = Role(role)
        settable = tuple(
            r for r in Role
            if r != role and role_change_refusal(actor, actor_role, role, r, owners) is None
        )  # fmt: skip
        leaving = user.id == actor.id
        removable = (
            role_change_refusal(actor, actor_role, role, None, owners) is None
            if not leaving
            else not (role == Role.OWNER and owners <= 1)
        )
        result.append(Member(user, role, settable, removable, leaving))
    return result


def _access(domain: Domain, user_id: int) -> DomainAccess | None:
    return db.session.scalar(
        db.select(DomainAccess)
        .where(DomainAccess.domain_id == domain.id, DomainAccess.user_id == user_id)
        # Read again after the lock: a copy loaded earlier in the request may be out of date.
        .execution_options(populate_existing=True)
    )


def _take_turns(domain: Domain) -> str | None:
    """Make the collaborator changes of one domain run one after the other, or say why not.

    The rules count owners and then write: two requests doing that at once (two owners
    demoting each other, both leaving) would each see another owner and together leave none.
    With the domain's row locked first, the second one waits for the first to commit, then
    counts what it left. On SQLite the reads before this lock ran outside any transaction, so
    the lock waits (the busy timeout) instead of failing; if it does fail, the user is told.
    """
    try:
        db.session.execute(_LOCK, {"id": domain.id})
    except OperationalError:
        db.session.rollback()
        return BUSY
    return None


def _role_now(domain: Domain, actor, actor_role: Role | None) -> Role | None:
    """The actor's role as it is under the lock: a change committed while the request waited
    (the actor demoted, or gone) counts, not the role read when the request began."""
    if actor.is_superuser:
        return actor_role
    return role_of(domain, actor.id)


def role_of(domain: Domain, user_id: int) -> Role | None:
    """The role the user holds on the domain, or None."""
    role = db.session.scalar(
        db.select(DomainAccess.role).where(
            DomainAccess.domain_id == domain.id, DomainAccess.user_id == user_id
        )
    )
    return Role(role) if role else None


def _refused(message: Said) -> Result:
    db.session.rollback()  # ends the transaction, and with it the lock, at once
    return Result.failure(message)


def change_role(domain: Domain, user_id: int, new_role: str, actor, actor_role) -> Result:
    try:
        new = Role(new_role)
    except ValueError:
        return Result.failure(role=say("access.choose_role"))
    if busy := _take_turns(domain):
        return Result.failure(busy)
    actor_role = _role_now(domain, actor, actor_role)
    access = _access(domain, user_id)
    if access is None:
        return _refused(GONE)
    current = Role(access.role)
    refusal = role_change_refusal(actor, actor_role, current, new, _owners(domain))
    if refusal:
        return _refused(refusal)
    email = access.user.email
    if new == current:
        db.session.rollback()
        return Result.success(access, say("access.already", email=email, role=Role(new).said))
    access.role = new
    audit.record(
        domain, "access.changed",
        say("audit.access_changed", email=email, old=Role(current).said, new=Role(new).said),
        target=email,
    )  # fmt: skip
    db.session.commit()
    return Result.success(access, say("access.now", email=email, role=Role(new).said))


def remove(domain: Domain, user_id: int, actor, actor_role) -> Result:
    if busy := _take_turns(domain):
        return Result.failure(busy)
    actor_role = _role_now(domain, actor, actor_role)
    access = _access(domain, user_id)
    if access is None:
        return _refused(GONE)
    current = Role(access.role)
    owners = _owners(domain)
    leaving = access.user_id == actor.id
    if leaving:
        refusal = (
            say("access.last_owner_leaving") if (current == Role.OWNER and owners <= 1) else None
        )
    else:
        refusal = role_change_refusal(actor, actor_role, current, None, owners)
    if refusal:
        return _refused(refusal)
    email = access.user.email
    db.session.delete(access)
    message = say("audit.access_left" if leaving else "audit.access_removed", email=email)
    audit.record(domain, "access.removed", message, target=email)
    db.session.commit()
    return Result.success(None, message)


def grant(domain: Domain, user: User, role: Role, *, actor=None) -> DomainAccess:
    """Give `user` the role (or the higher of it and what they have); the caller commits."""
    access = _access(domain, user.id)
    if access is None:
        access = DomainAccess(domain_id=domain.id, user_id=user.id, role=Role(role))
        db.session.add(access)
        audit.record(
            domain, "access.granted",
            say("audit.access_granted", email=user.email, role=Role(role).said),
            target=user.email, actor=actor,
        )  # fmt: skip
    elif Role(role) > Role(access.role):
        old = access.role
        access.role = Role(role)
        audit.record(
            domain, "access.changed",
            say("audit.access_changed", email=user.email, old=Role(old).said, new=Role(role).said),
            target=user.email, actor=actor,
        )  # fmt: skip
    return access

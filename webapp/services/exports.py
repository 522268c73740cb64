"""A domain's mailboxes, aliases and collaborators as CSV rows, in the format the imports read
back. Rows are generators over a streamed query (`yield_per`: a server-side cursor on
PostgreSQL): 100,000 mailboxes cost the memory of a thousand."""

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Alias, Domain, DomainAccess, Mailbox, Role, User
from webapp.services.imports.columns import ALIAS_COLUMNS, MAILBOX_COLUMNS

CHUNK = 1000


def _streamed(stmt):
    return db.session.execute(stmt.execution_options(yield_per=CHUNK))


def mailboxes(domain: Domain):
    yield [*MAILBOX_COLUMNS, "status"]
    yield from _streamed(
        sa.select(Mailbox.first_name, Mailbox.last_name, Mailbox.local_part,
                  Mailbox.secondary_email, Mailbox.status)
        .where(Mailbox.domain_id == domain.id)
        .order_by(Mailbox.local_part)
    )  # fmt: skip


def aliases(domain: Domain):
    yield [*ALIAS_COLUMNS, "status"]
    yield from _streamed(
        sa.select(Alias.local_part, Alias.destination, Alias.status)
        .where(Alias.domain_id == domain.id)
        .order_by(Alias.local_part, Alias.destination)
    )


def collaborators(domain: Domain):
    yield ["email", "name", "role"]
    yield from _streamed(
        sa.select(User.email, User.name, DomainAccess.role)
        .join(DomainAccess, DomainAccess.user_id == User.id)
        .where(DomainAccess.domain_id == domain.id)
        .order_by(User.email)
    )


def domain_managers():
    """Every domain's owners and administrators (for the platform's staff)."""
    yield ["domain", "email", "name", "role"]
    yield from _streamed(
        sa.select(Domain.name, User.email, User.name, DomainAccess.role)
        .join(DomainAccess, DomainAccess.domain_id == Domain.id)
        .join(User, User.id == DomainAccess.user_id)
        .where(DomainAccess.role.in_([Role.OWNER.value, Role.ADMINISTRATOR.value]))
        .order_by(Domain.name, User.email)
    )

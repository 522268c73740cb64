"""confusable name keys

Mailbox names are compared by their UTS #39 skeleton (webapp.text.skeleton): the name key of
every existing mailbox is recomputed, and the search key with it, which now holds the folded
names (webapp.text.fold) rather than the name key. Accounts' emails are written in the one
spelling that logins look up (webapp.validators.comparable_email: the domain in Unicode), which
accounts created from the command line with a punycode domain lacked. No schema change.

Two mailboxes of a domain whose names only looked different before (a Cyrillic о for an o, NFD
and NFC accents) both exist in the webmail, so both are kept: the newer one's key is suffixed
with its id, which keeps the unique constraint and refuses any third lookalike.

Revision ID: e3f4a5b6c7d8
Revises: e5f6a7b8c9d0
Create Date: 2026-12-02 10:00:00.000000

"""
import hashlib

from alembic import op
import sqlalchemy as sa

from webapp.text import case_fold as fold, skeleton  # fold as it was at this revision
from webapp.validators import comparable_email


# revision identifiers, used by Alembic.
revision = 'e3f4a5b6c7d8'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None

BATCH = 1000

mailboxes = sa.table(
    'mailboxes',
    sa.column('id', sa.Integer),
    sa.column('domain_id', sa.Integer),
    sa.column('local_part', sa.String),
    sa.column('first_name', sa.String),
    sa.column('last_name', sa.String),
    sa.column('secondary_email', sa.String),
    sa.column('name_key', sa.String),
    sa.column('search_key', sa.Text),
)


def _names(row):
    return f"{(row.first_name or '').strip()} {(row.last_name or '').strip()}"


def new_keys(row):
    """The name and search keys of webapp.models.mailbox as they are at this revision."""
    name_key = hashlib.sha256(skeleton(_names(row)).encode()).hexdigest()
    parts = (row.local_part or '', _names(row), row.secondary_email or '')
    return name_key, "\n".join(fold(part) for part in parts)


def old_keys(row):
    """The keys before this revision, for a downgrade."""
    name_key = _names(row).casefold()
    parts = (row.local_part or '', name_key, row.secondary_email or '')
    return name_key, "\n".join(parts).casefold()


def recompute_keys(bind, keys=new_keys, batch=BATCH):
    """Set every mailbox's name and search keys to keys(row), one domain at a time, in batches
    of `batch` rows. Returns how many names had to keep a suffixed key (lookalike pairs)."""
    # First a key no computed one can equal (names hold no line break, and a line break no
    # digest), so that no new key meets one not recomputed yet.
    bind.execute(
        mailboxes.update().values(
            name_key=sa.literal("\n") + sa.cast(mailboxes.c.id, sa.String)
        )
    )
    domain_ids = bind.scalars(sa.select(mailboxes.c.domain_id).distinct()).all()
    suffixed = 0
    for domain_id in domain_ids:
        suffixed += _recompute_domain(bind, domain_id, keys, batch)
    return suffixed


def _recompute_domain(bind, domain_id, keys, batch):
    seen = set()
    suffixed = 0
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(mailboxes.c.id, mailboxes.c.local_part, mailboxes.c.first_name,
                      mailboxes.c.last_name, mailboxes.c.secondary_email)
            .where(mailboxes.c.domain_id == domain_id, mailboxes.c.id > last_id)
            .order_by(mailboxes.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return suffixed
        values = []
        for row in rows:
            name_key, search_key = keys(row)
            if name_key in seen:  # the older of the pair keeps the plain key
                name_key = f"{name_key}~{row.id}"
                suffixed += 1
            seen.add(name_key)
            values.append({'row_id': row.id, 'name': name_key, 'search': search_key})
        bind.execute(
            mailboxes.update()
            .where(mailboxes.c.id == sa.bindparam('row_id'))
            .values(name_key=sa.bindparam('name'), search_key=sa.bindparam('search')),
            values,
        )
        last_id = rows[-1].id


users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String))


def canonical_user_emails(bind):
    """Rewrite each account's email in comparable_email's spelling, unless another account
    already has that spelling (then both stay as they are, for a person to sort out)."""
    rows = bind.execute(sa.select(users.c.id, users.c.email)).all()
    taken = {row.email for row in rows}
    for row in rows:
        email = comparable_email(row.email)
        if email != row.email and email not in taken:
            bind.execute(users.update().where(users.c.id == row.id).values(email=email))
            taken.add(email)


def upgrade():
    bind = op.get_bind()
    recompute_keys(bind)
    canonical_user_emails(bind)


def downgrade():
    recompute_keys(op.get_bind(), keys=old_keys)

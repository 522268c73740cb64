"""french name keys: a stored sort key, and searches that fold accents and ligatures

`mailboxes.sort_key` holds the last and first names as a French reader orders them
(webapp.text.sort_key: É with E, Ç with C, Œ as OE), indexed with the domain and the id for the
list's default order; it replaces the index on (domain_id, last_name, first_name), which put
"Élise" after "Zoé". Every search key is recomputed with the new webapp.text.fold, which spells
out accents and ligatures ("oeuvray" finds "Œuvray"). Both are filled here for existing rows,
in batches.

Plain ALTER TABLE on SQLite, never a batch rebuild, which would drop the triggers that keep
mailbox_counts: the new column is added NOT NULL with an empty default there (SQLite cannot add
a NOT NULL column without one, nor drop a default in place); PostgreSQL drops the default once
the rows are filled. The key is compared byte by byte (collation "C" on PostgreSQL), so that the
order is the same on both.

Revision ID: f4a5b6c7d8e9
Revises: b7c3e9a1f4d2
Create Date: 2026-12-03 09:00:00.000000

"""
import unicodedata

from alembic import op
import sqlalchemy as sa

from webapp.text import fold, sort_key


# revision identifiers, used by Alembic.
revision = 'f4a5b6c7d8e9'
down_revision = 'b7c3e9a1f4d2'
branch_labels = None
depends_on = None

BATCH = 1000
LENGTH = 241  # webapp.models.mailbox.SORT_KEY_LENGTH at this revision

mailboxes = sa.table(
    'mailboxes',
    sa.column('id', sa.Integer),
    sa.column('local_part', sa.String),
    sa.column('first_name', sa.String),
    sa.column('last_name', sa.String),
    sa.column('secondary_email', sa.String),
    sa.column('search_key', sa.Text),
    sa.column('sort_key', sa.String),
)


def _names(row):
    return f"{(row.first_name or '').strip()} {(row.last_name or '').strip()}"


def new_keys(row):
    """The search and sort keys of webapp.models.mailbox as they are at this revision."""
    parts = (row.local_part or '', _names(row), row.secondary_email or '')
    search = "\n".join(fold(part) for part in parts)
    return {'search': search, 'sort': f"{sort_key(row.last_name)}\t{sort_key(row.first_name)}"}


def _old_fold(s):
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s or "").casefold())


def old_keys(row):
    """The search key before this revision (NFKC case folding only), for a downgrade."""
    parts = (row.local_part or '', _names(row), row.secondary_email or '')
    return {'search': "\n".join(_old_fold(part) for part in parts)}


def recompute_keys(bind, keys=new_keys, batch=BATCH):
    """Set every mailbox's keys to keys(row), in batches of `batch` rows; returns the count."""
    columns = {'search': mailboxes.c.search_key, 'sort': mailboxes.c.sort_key}
    done = 0
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(mailboxes.c.id, mailboxes.c.local_part, mailboxes.c.first_name,
                      mailboxes.c.last_name, mailboxes.c.secondary_email)
            .where(mailboxes.c.id > last_id)
            .order_by(mailboxes.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        values = [{'row_id': row.id, **keys(row)} for row in rows]
        bind.execute(
            mailboxes.update()
            .where(mailboxes.c.id == sa.bindparam('row_id'))
            .values({columns[name]: sa.bindparam(name) for name in values[0] if name != 'row_id'}),
            values,
        )
        done += len(rows)
        last_id = rows[-1].id


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    key_type = sa.String(LENGTH, collation='C') if postgresql else sa.String(LENGTH)
    op.add_column(
        'mailboxes',
        sa.Column('sort_key', key_type, nullable=False, server_default=''),
    )
    recompute_keys(bind)
    if postgresql:
        op.alter_column('mailboxes', 'sort_key', server_default=None)
    op.drop_index('ix_mailboxes_domain_last_name', table_name='mailboxes')
    op.create_index(
        'ix_mailboxes_domain_sort_key', 'mailboxes', ['domain_id', 'sort_key', 'id'], unique=False
    )


def downgrade():
    op.drop_index('ix_mailboxes_domain_sort_key', table_name='mailboxes')
    op.create_index(
        'ix_mailboxes_domain_last_name', 'mailboxes', ['domain_id', 'last_name', 'first_name'],
        unique=False,
    )
    op.drop_column('mailboxes', 'sort_key')  # SQLite 3.35+ drops it in place
    recompute_keys(op.get_bind(), keys=old_keys)

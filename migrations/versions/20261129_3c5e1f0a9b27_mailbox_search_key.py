"""mailbox search key

One case-folded column (address, names, secondary email) and an index on (domain_id,
search_key), so that the mailbox list's search is one LIKE over an index instead of three over
the rows. Existing rows are filled here.

Revision ID: 3c5e1f0a9b27
Revises: 566beb3d4dde
Create Date: 2026-11-29 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c5e1f0a9b27'
down_revision = '566beb3d4dde'
branch_labels = None
depends_on = None

BATCH = 1000


def _search_key(local_part, name_key, secondary_email):
    # A copy of webapp.models.mailbox.search_key as it is at this revision.
    return "\n".join((local_part or "", name_key or "", secondary_email or "")).casefold()


def upgrade():
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=True))

    mailboxes = sa.table(
        'mailboxes',
        sa.column('id', sa.Integer),
        sa.column('local_part', sa.String),
        sa.column('name_key', sa.String),
        sa.column('secondary_email', sa.String),
        sa.column('search_key', sa.Text),
    )
    bind = op.get_bind()
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(mailboxes.c.id, mailboxes.c.local_part, mailboxes.c.name_key,
                      mailboxes.c.secondary_email)
            .where(mailboxes.c.id > last_id)
            .order_by(mailboxes.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            mailboxes.update()
            .where(mailboxes.c.id == sa.bindparam('row_id'))
            .values(search_key=sa.bindparam('key')),
            [{'row_id': row.id, 'key': _search_key(*row[1:])} for row in rows],
        )
        last_id = rows[-1].id

    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.alter_column('search_key', existing_type=sa.Text(), nullable=False)
        batch_op.create_index('ix_mailboxes_domain_search_key', ['domain_id', 'search_key'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_index('ix_mailboxes_domain_search_key')
        batch_op.drop_column('search_key')

"""owed work: alias creation attempts, emails given up, and indexes on what dimail lacks

`aliases.dimail_attempted_at` tells a removal whether dimail may have the pair (a creation
whose answer was lost); the two partial indexes let the reconciler find owed rows (a
difference between what a row wants and what dimail has) without reading every row. Their
WHERE clauses are the models' `owed_clause()` as they are at this revision.
`mailboxes.email_given_up_at` stops the reconciler from sending a confirmation again to an
address the mail server refused for good, until a person asks for it ("Send again").

Revision ID: c7d1e2f3a4b5
Revises: b41e7c9d2f58
Create Date: 2026-12-02 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d1e2f3a4b5'
down_revision = 'b41e7c9d2f58'
branch_labels = None
depends_on = None

MAILBOX_OWED = (
    "(dimail_created_at IS NULL AND status = 'pending') OR (dimail_created_at IS NOT NULL AND "
    "(names_synced = false OR dimail_enabled != enabled_wanted))"
)
ALIAS_OWED = "status IN ('pending', 'deleting')"


def upgrade():
    with op.batch_alter_table('aliases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dimail_attempted_at', sa.DateTime(), nullable=True))
    # Plain ALTER TABLE, never a batch rebuild: rebuilding mailboxes on SQLite would drop the
    # triggers that keep mailbox_counts.
    op.add_column('mailboxes', sa.Column('email_given_up_at', sa.DateTime(), nullable=True))
    # Every alias dimail already has was attempted, necessarily.
    op.execute("UPDATE aliases SET dimail_attempted_at = dimail_created_at")
    op.create_index(
        'ix_mailboxes_owed', 'mailboxes', ['domain_id'],
        sqlite_where=sa.text(MAILBOX_OWED), postgresql_where=sa.text(MAILBOX_OWED),
    )
    op.create_index(
        'ix_aliases_owed', 'aliases', ['domain_id'],
        sqlite_where=sa.text(ALIAS_OWED), postgresql_where=sa.text(ALIAS_OWED),
    )


def downgrade():
    op.drop_index('ix_aliases_owed', table_name='aliases')
    op.drop_index('ix_mailboxes_owed', table_name='mailboxes')
    with op.batch_alter_table('aliases', schema=None) as batch_op:
        batch_op.drop_column('dimail_attempted_at')
    op.drop_column('mailboxes', 'email_given_up_at')  # SQLite 3.35+ drops it in place

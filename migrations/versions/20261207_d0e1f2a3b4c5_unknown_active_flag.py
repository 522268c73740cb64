"""mailboxes whose active flag in dimail is not known are owed work

A sync run now writes `dimail_enabled = NULL` before it asks dimail to enable or disable a
mailbox: should the run end before its outcome is recorded, the next run sends the flag again
instead of trusting what the row knew before. The partial index of owed mailboxes takes those
rows in; its WHERE clause is the model's `owed_clause()` as it is at this revision.

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0e1f2a3b4c5'
down_revision = 'c9d0e1f2a3b4'
branch_labels = None
depends_on = None

OWED_BEFORE = (
    "(dimail_created_at IS NULL AND status = 'pending') OR (dimail_created_at IS NOT NULL AND "
    "(names_synced = false OR dimail_enabled != enabled_wanted))"
)
OWED = (
    "(dimail_created_at IS NULL AND status = 'pending') OR (dimail_created_at IS NOT NULL AND "
    "(names_synced = false OR dimail_enabled IS NULL OR dimail_enabled != enabled_wanted))"
)


def _owed_index(where: str) -> None:
    op.drop_index('ix_mailboxes_owed', table_name='mailboxes')
    op.create_index(
        'ix_mailboxes_owed', 'mailboxes', ['domain_id'],
        sqlite_where=sa.text(where), postgresql_where=sa.text(where),
    )


def upgrade():
    _owed_index(OWED)


def downgrade():
    _owed_index(OWED_BEFORE)

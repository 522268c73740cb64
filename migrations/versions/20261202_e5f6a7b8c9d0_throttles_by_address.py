"""throttle counts by email and client address

Login failures were counted per email alone, so that anyone could lock anyone out. The counts
are now kept per scope (logins, current-password checks, "forgot password" requests), typed
email and client address. The old counts are short-lived (15 minutes) and keyed differently:
the table is made again, empty, rather than converted.

Revision ID: e5f6a7b8c9d0
Revises: e1f2a3b4c5d6
Create Date: 2026-12-02 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f6a7b8c9d0'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('login_throttles')
    op.create_table('login_throttles',
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'subject', 'address', name=op.f('pk_login_throttles'))
    )
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttles_expires_at'), ['expires_at'], unique=False)


def downgrade():
    op.drop_table('login_throttles')
    op.create_table('login_throttles',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_throttles'))
    )

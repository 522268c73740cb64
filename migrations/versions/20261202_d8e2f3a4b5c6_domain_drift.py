"""domain drift report

The last comparison of a domain's rows with what dimail holds, kept on the domain so that the
drift page shows it without calling dimail, and the mark of a comparison still to run.

Revision ID: d8e2f3a4b5c6
Revises: c7d1e2f3a4b5
Create Date: 2026-12-02 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8e2f3a4b5c6'
down_revision = 'c7d1e2f3a4b5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drift_report', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('drift_checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('drift_requested_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_column('drift_requested_at')
        batch_op.drop_column('drift_checked_at')
        batch_op.drop_column('drift_report')

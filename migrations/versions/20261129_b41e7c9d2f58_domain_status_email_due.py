"""domain status email due

Whether the email about a domain's last change of status is still owed to its support address,
so that an email whose job was lost (Redis or SMTP down) is queued again by the reconciler.
Domains already there owe nothing: nobody gets an email about an old change.

Revision ID: b41e7c9d2f58
Revises: 8f2d4b6a1c03
Create Date: 2026-11-29 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b41e7c9d2f58'
down_revision = '8f2d4b6a1c03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_email_due', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_column('status_email_due')

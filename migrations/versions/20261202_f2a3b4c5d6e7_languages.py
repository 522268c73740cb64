"""languages: a person's choice, a domain's status emails, an invitation's, a mailbox's

`users.locale` is the language a person chose with the switch (empty: their browser's);
`domains.locale` the language of the status emails to the support address (empty: the
DEFAULT_LOCALE setting); `invitations.locale` and `mailboxes.locale` the language of whoever
invited or created, that of the email sent for it when the recipient has no account.

Revision ID: f2a3b4c5d6e7
Revises: f4a5b6c7d8e9
Create Date: 2026-12-02 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a3b4c5d6e7'
down_revision = 'f4a5b6c7d8e9'
branch_labels = None
depends_on = None

TABLES = ('users', 'domains', 'invitations', 'mailboxes')


# Plain ALTER TABLE (SQLite has ADD and DROP COLUMN): a batch copy of `mailboxes` would lose
# the triggers that keep its counts.
def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    for table in reversed(TABLES):
        op.drop_column(table, 'locale')

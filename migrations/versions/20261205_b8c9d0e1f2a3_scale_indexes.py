"""indexes for organisation scale: substring search by trigrams, the audit log's order

At 100,000 mailboxes in a domain (1,000,000 in the database; see bench/RESULTS.md, "Pages at
organisation scale on PostgreSQL") two list pages read every row of the domain:

- the mailbox search, a LIKE '%term%' that no B-tree can answer: on PostgreSQL a GIN index of
  the search key's trigrams (the pg_trgm extension) finds the few rows a precise term matches.
  SQLite has no such index; its search keeps reading (domain_id, search_key), which it does
  from the index alone.
- the audit log, sorted by (created_at, id): its index lacked the id, so PostgreSQL sorted the
  whole domain's log for each page. The index now ends with the id and replaces the old one.

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner, or any account with
CREATE on the database, may create it. Where the account may not, the migration goes on
without the trigram index (searches stay correct, only slower on big domains) and logs what a
superuser must run; see TRIGRAM_INSTRUCTIONS.

Revision ID: b8c9d0e1f2a3
Revises: a6b7c8d9e0f1
Create Date: 2026-12-05 08:00:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError


# revision identifiers, used by Alembic.
revision = 'b8c9d0e1f2a3'
down_revision = 'a6b7c8d9e0f1'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TRIGRAM_INDEX = "ix_mailboxes_search_key_trgm"
CREATE_TRIGRAM_INDEX = (
    f"CREATE INDEX {TRIGRAM_INDEX} ON mailboxes USING gin (search_key gin_trgm_ops)"
)
TRIGRAM_INSTRUCTIONS = (
    "The mailbox search's trigram index was NOT created: this database account may not create "
    "the pg_trgm extension ({error}). Searches work without it, but read every mailbox of the "
    "domain. A superuser (or the database's owner) can add it at any time, without downtime, "
    "in this database: CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX CONCURRENTLY "
    f"{TRIGRAM_INDEX} ON mailboxes USING gin (search_key gin_trgm_ops);"
)


def _trigram_extension(bind) -> bool:
    """pg_trgm is there, or was created now; False (and the instructions logged) if not."""
    if bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    savepoint = bind.begin_nested()  # a refusal must not abort the migration's transaction
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError as exc:
        savepoint.rollback()
        log.warning(TRIGRAM_INSTRUCTIONS.format(error=str(exc.orig).strip().splitlines()[0]))
        return False
    savepoint.commit()
    return True


def upgrade():
    op.drop_index('ix_audit_entries_domain_created', table_name='audit_entries')
    op.create_index(
        'ix_audit_entries_domain_created', 'audit_entries', ['domain_id', 'created_at', 'id']
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigram_extension(bind):
        op.execute(CREATE_TRIGRAM_INDEX)


def downgrade():
    # The extension stays: other databases' objects, or a person, may use it.
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.drop_index('ix_audit_entries_domain_created', table_name='audit_entries')
    op.create_index(
        'ix_audit_entries_domain_created', 'audit_entries', ['domain_id', 'created_at']
    )

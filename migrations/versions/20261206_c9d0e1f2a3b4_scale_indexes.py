"""organisation scale: substring search by trigrams, the audit log's order, alias counts

At 100,000 mailboxes in a domain (1,000,000 in the database; see bench/RESULTS.md, "Pages at
organisation scale on PostgreSQL") two list pages read every row of the domain:

- the mailbox search, a LIKE '%term%' that no B-tree can answer: on PostgreSQL a GIN index of
  the search key's trigrams (the pg_trgm extension) finds the few rows a precise term matches.
  SQLite has no such index; its search keeps reading (domain_id, search_key), which it does
  from the index alone.
- the audit log, sorted by (created_at, id): its index lacked the id, so PostgreSQL sorted the
  whole domain's log for each page. The index now ends with the id and replaces the old one.

- the alias counts (the domain list's column, the alias list's total), a count of distinct
  local parts over every alias row of the domain: the table alias_counts holds them, kept by
  triggers on every insert, delete and change of an alias row, whoever writes it (as
  mailbox_counts is, migration 8f2d4b6a1c03). On PostgreSQL a change first locks the domain's
  counter row, then looks for the other rows of its local parts: two transactions adding (or
  removing) destinations of the same local part at once take turns there, and the second sees
  what the first committed, so the count stays exact (see POSTGRESQL_TRIGGERS).

- the reconciler's search for confirmation emails still to send, every minute: a read of every
  mailbox of the database; the partial index ix_mailboxes_unconfirmed holds only those (its
  WHERE clause is the model's unconfirmed_clause() as it is at this revision).
- the audit log's total, a count of the domain's entries: the table audit_counts holds it
  by domain and kind, kept by triggers on insert and delete (entries are never changed).

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner, or any account with
CREATE on the database, may create it. Where the account may not, the migration goes on
without the trigram index (searches stay correct, only slower on big domains) and logs what a
superuser must run; see TRIGRAM_INSTRUCTIONS.

Revision ID: c9d0e1f2a3b4
Revises: b7c8d9e0f1a2
Create Date: 2026-12-06 08:00:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError


# revision identifiers, used by Alembic.
revision = 'c9d0e1f2a3b4'
down_revision = 'b7c8d9e0f1a2'
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


SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER alias_counts_insert AFTER INSERT ON aliases
    WHEN NOT EXISTS (SELECT 1 FROM aliases WHERE domain_id = NEW.domain_id
                     AND local_part = NEW.local_part AND id != NEW.id)
    BEGIN
        INSERT INTO alias_counts (domain_id, names) VALUES (NEW.domain_id, 1)
        ON CONFLICT (domain_id) DO UPDATE SET names = names + 1;
    END
    """,
    """
    CREATE TRIGGER alias_counts_delete AFTER DELETE ON aliases
    WHEN NOT EXISTS (SELECT 1 FROM aliases WHERE domain_id = OLD.domain_id
                     AND local_part = OLD.local_part)
    BEGIN
        UPDATE alias_counts SET names = names - 1 WHERE domain_id = OLD.domain_id;
    END
    """,
    """
    CREATE TRIGGER alias_counts_update AFTER UPDATE OF domain_id, local_part ON aliases
    WHEN OLD.domain_id IS NOT NEW.domain_id OR OLD.local_part IS NOT NEW.local_part
    BEGIN
        UPDATE alias_counts SET names = names - 1 WHERE domain_id = OLD.domain_id
        AND NOT EXISTS (SELECT 1 FROM aliases WHERE domain_id = OLD.domain_id
                        AND local_part = OLD.local_part);
        INSERT INTO alias_counts (domain_id, names)
        SELECT NEW.domain_id, 1 WHERE NOT EXISTS (
            SELECT 1 FROM aliases WHERE domain_id = NEW.domain_id
            AND local_part = NEW.local_part AND id != NEW.id)
        ON CONFLICT (domain_id) DO UPDATE SET names = names + 1;
    END
    """,
]

# PostgreSQL runs row triggers after the whole statement, when every row a multi-row INSERT
# added is visible: so its triggers are per statement, over the transition tables. A local
# part counts when it has rows after the statement and had none before (or the reverse). The
# counter rows of the domains touched are locked first, in id order: a concurrent change of
# the same domain waits there, and the next statement's snapshot holds what it committed.
_NONE = "(SELECT NULL::integer AS id, NULL::integer AS domain_id, NULL::varchar AS local_part WHERE false)"
_KEEP = """
    CREATE FUNCTION alias_counts_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO alias_counts (domain_id, names)
        SELECT DISTINCT domain_id, 0 FROM {new} AS n ORDER BY domain_id
        ON CONFLICT (domain_id) DO NOTHING;
        PERFORM 1 FROM alias_counts WHERE domain_id IN (
            SELECT domain_id FROM {old} AS o UNION SELECT domain_id FROM {new} AS n
        ) ORDER BY domain_id FOR UPDATE;
        UPDATE alias_counts SET names = alias_counts.names + delta.n FROM (
            SELECT k.domain_id, sum(
                (EXISTS (SELECT 1 FROM aliases a WHERE a.domain_id = k.domain_id
                         AND a.local_part = k.local_part))::integer
                - (EXISTS (SELECT 1 FROM aliases a WHERE a.domain_id = k.domain_id
                           AND a.local_part = k.local_part
                           AND a.id NOT IN (SELECT id FROM {new} AS n))
                   OR EXISTS (SELECT 1 FROM {old} AS o WHERE o.domain_id = k.domain_id
                              AND o.local_part = k.local_part))::integer
            ) AS n
            FROM (SELECT domain_id, local_part FROM {old} AS o
                  UNION SELECT domain_id, local_part FROM {new} AS n) AS k
            GROUP BY k.domain_id
        ) AS delta
        WHERE alias_counts.domain_id = delta.domain_id AND delta.n <> 0;
        RETURN NULL;
    END
    $$
"""
POSTGRESQL_TRIGGERS = [
    _KEEP.format(op="insert", old=_NONE, new="new_rows"),
    _KEEP.format(op="delete", old="old_rows", new=_NONE),
    _KEEP.format(op="update", old="old_rows", new="new_rows"),
    """
    CREATE TRIGGER alias_counts_insert AFTER INSERT ON aliases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alias_counts_insert()
    """,
    """
    CREATE TRIGGER alias_counts_delete AFTER DELETE ON aliases
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alias_counts_delete()
    """,
    """
    CREATE TRIGGER alias_counts_update AFTER UPDATE ON aliases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION alias_counts_update()
    """,
]


AUDIT_SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_entries
    WHEN NEW.domain_id IS NOT NULL
    BEGIN
        INSERT INTO audit_counts (domain_id, kind, n) VALUES (NEW.domain_id, NEW.kind, 1)
        ON CONFLICT (domain_id, kind) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER audit_counts_delete AFTER DELETE ON audit_entries
    WHEN OLD.domain_id IS NOT NULL
    BEGIN
        UPDATE audit_counts SET n = n - 1 WHERE domain_id = OLD.domain_id AND kind = OLD.kind;
    END
    """,
]

# Per statement, over the transition tables: a row trigger would update the same counter row
# once per entry, and PostgreSQL slows down with every new version of one row in a transaction
# (an import writes 10,000 entries of one kind in one transaction).
AUDIT_POSTGRESQL_TRIGGERS = [
    """
    CREATE FUNCTION audit_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit_counts (domain_id, kind, n)
        SELECT domain_id, kind, count(*) FROM new_rows WHERE domain_id IS NOT NULL
        GROUP BY domain_id, kind ORDER BY domain_id, kind
        ON CONFLICT (domain_id, kind) DO UPDATE SET n = audit_counts.n + EXCLUDED.n;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION audit_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE audit_counts SET n = audit_counts.n - gone.n FROM (
            SELECT domain_id, kind, count(*) AS n FROM old_rows WHERE domain_id IS NOT NULL
            GROUP BY domain_id, kind
        ) AS gone
        WHERE audit_counts.domain_id = gone.domain_id AND audit_counts.kind = gone.kind;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_entries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_counts_insert()
    """,
    """
    CREATE TRIGGER audit_counts_delete AFTER DELETE ON audit_entries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_counts_delete()
    """,
]


def _audit_counts(dialect: str) -> None:
    op.create_table(
        'audit_counts',
        sa.Column('domain_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['domain_id'], ['domains.id'],
                                name=op.f('fk_audit_counts_domain_id_domains'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('domain_id', 'kind', name=op.f('pk_audit_counts')),
    )
    op.execute(
        "INSERT INTO audit_counts (domain_id, kind, n) SELECT domain_id, kind, count(*) "
        "FROM audit_entries WHERE domain_id IS NOT NULL GROUP BY domain_id, kind"
    )
    for statement in AUDIT_SQLITE_TRIGGERS if dialect == "sqlite" else AUDIT_POSTGRESQL_TRIGGERS:
        op.execute(statement)


def _alias_counts(dialect: str) -> None:
    op.create_table(
        'alias_counts',
        sa.Column('domain_id', sa.Integer(), nullable=False),
        sa.Column('names', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['domain_id'], ['domains.id'],
                                name=op.f('fk_alias_counts_domain_id_domains'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('domain_id', name=op.f('pk_alias_counts')),
    )
    op.execute(
        "INSERT INTO alias_counts (domain_id, names) "
        "SELECT domain_id, count(DISTINCT local_part) FROM aliases GROUP BY domain_id"
    )
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


UNCONFIRMED = (
    "confirmation_sent_at IS NULL AND email_given_up_at IS NULL AND secondary_email IS NOT NULL"
)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"alias count triggers are written for SQLite and PostgreSQL, not {dialect}")
    _alias_counts(dialect)
    _audit_counts(dialect)
    op.create_index(
        'ix_mailboxes_unconfirmed', 'mailboxes', ['dimail_created_at'],
        sqlite_where=sa.text(UNCONFIRMED), postgresql_where=sa.text(UNCONFIRMED),
    )
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
    op.drop_index('ix_mailboxes_unconfirmed', table_name='mailboxes')
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in ("alias_counts_insert", "alias_counts_delete", "alias_counts_update"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER alias_counts_{name} ON aliases")
            op.execute(f"DROP FUNCTION alias_counts_{name}()")
    op.drop_table('alias_counts')
    for name in ("insert", "delete"):
        op.execute(f"DROP TRIGGER audit_counts_{name}" + ("" if sqlite else " ON audit_entries"))
        if not sqlite:
            op.execute(f"DROP FUNCTION audit_counts_{name}()")
    op.drop_table('audit_counts')
    op.drop_index('ix_audit_entries_domain_created', table_name='audit_entries')
    op.create_index(
        'ix_audit_entries_domain_created', 'audit_entries', ['domain_id', 'created_at']
    )

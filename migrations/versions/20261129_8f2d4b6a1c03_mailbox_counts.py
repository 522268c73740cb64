"""mailbox counts by domain and status, kept by triggers

The list pages show how many mailboxes a domain has in each status; counting them at every
request costs a scan of the domain's mailboxes. This table holds the counts, and triggers keep
them on every insert, delete and change of status or domain, whoever writes the row (the ORM,
a bulk statement, a job's plain UPDATE). On PostgreSQL the function touches the two counter
rows of a change in one fixed order, so that two concurrent changes cannot deadlock on them.

Revision ID: 8f2d4b6a1c03
Revises: 3c5e1f0a9b27
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f2d4b6a1c03'
down_revision = '3c5e1f0a9b27'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER mailbox_counts_insert AFTER INSERT ON mailboxes
    BEGIN
        INSERT INTO mailbox_counts (domain_id, status, n) VALUES (NEW.domain_id, NEW.status, 1)
        ON CONFLICT (domain_id, status) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER mailbox_counts_delete AFTER DELETE ON mailboxes
    BEGIN
        UPDATE mailbox_counts SET n = n - 1
        WHERE domain_id = OLD.domain_id AND status = OLD.status;
    END
    """,
    """
    CREATE TRIGGER mailbox_counts_update AFTER UPDATE OF status, domain_id ON mailboxes
    WHEN OLD.status IS NOT NEW.status OR OLD.domain_id IS NOT NEW.domain_id
    BEGIN
        UPDATE mailbox_counts SET n = n - 1
        WHERE domain_id = OLD.domain_id AND status = OLD.status;
        INSERT INTO mailbox_counts (domain_id, status, n) VALUES (NEW.domain_id, NEW.status, 1)
        ON CONFLICT (domain_id, status) DO UPDATE SET n = n + 1;
    END
    """,
]

POSTGRESQL_TRIGGERS = [
    """
    CREATE FUNCTION mailbox_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        old_first boolean;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO mailbox_counts (domain_id, status, n) VALUES (NEW.domain_id, NEW.status, 1)
            ON CONFLICT (domain_id, status) DO UPDATE SET n = mailbox_counts.n + 1;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE mailbox_counts SET n = n - 1
            WHERE domain_id = OLD.domain_id AND status = OLD.status;
        ELSE
            -- The two counter rows in (domain_id, status) order, whatever the direction.
            old_first := (OLD.domain_id, OLD.status) < (NEW.domain_id, NEW.status);
            IF old_first THEN
                UPDATE mailbox_counts SET n = n - 1
                WHERE domain_id = OLD.domain_id AND status = OLD.status;
            END IF;
            INSERT INTO mailbox_counts (domain_id, status, n) VALUES (NEW.domain_id, NEW.status, 1)
            ON CONFLICT (domain_id, status) DO UPDATE SET n = mailbox_counts.n + 1;
            IF NOT old_first THEN
                UPDATE mailbox_counts SET n = n - 1
                WHERE domain_id = OLD.domain_id AND status = OLD.status;
            END IF;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER mailbox_counts_insert_delete AFTER INSERT OR DELETE ON mailboxes
    FOR EACH ROW EXECUTE FUNCTION mailbox_counts_keep()
    """,
    """
    CREATE TRIGGER mailbox_counts_update AFTER UPDATE OF status, domain_id ON mailboxes
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.domain_id IS DISTINCT FROM NEW.domain_id)
    EXECUTE FUNCTION mailbox_counts_keep()
    """,
]


def _dialect():
    name = op.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"mailbox count triggers are written for SQLite and PostgreSQL, not {name}")
    return name


def upgrade():
    dialect = _dialect()
    op.create_table('mailbox_counts',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_mailbox_counts_domain_id_domains'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('domain_id', 'status', name=op.f('pk_mailbox_counts'))
    )
    op.execute(
        "INSERT INTO mailbox_counts (domain_id, status, n) "
        "SELECT domain_id, status, count(*) FROM mailboxes GROUP BY domain_id, status"
    )
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade():
    if _dialect() == "sqlite":
        for name in ("mailbox_counts_insert", "mailbox_counts_delete", "mailbox_counts_update"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER mailbox_counts_insert_delete ON mailboxes")
        op.execute("DROP TRIGGER mailbox_counts_update ON mailboxes")
        op.execute("DROP FUNCTION mailbox_counts_keep()")
    op.drop_table('mailbox_counts')

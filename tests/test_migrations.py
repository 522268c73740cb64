"""The schema comes from migrations only, and they must match the models."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from webapp import create_app
from webapp.extensions import db


def _differences(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_the_models(app):
    # `app` runs on the database the session migrated: SQLite, or PostgreSQL in CI.
    assert _differences(db.engine) == []


def test_migrations_go_down_and_up_again(test_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert _differences(db.engine) == []
        db.engine.dispose()


def test_the_search_key_migration_fills_existing_mailboxes(test_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="566beb3d4dde")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO domains (name, support_email, status, status_changed_at, "
                    "created_at, checks_supported) VALUES ('acme.fr', 's@acme.fr', 'enabled', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO mailboxes (domain_id, local_part, first_name, last_name, "
                    "name_key, secondary_email, status, created_at, enabled_wanted, "
                    "names_synced) VALUES (1, 'j.doe', 'Jane', 'Doe', 'jane doe', "
                    "'Jane@Home.ORG', 'enabled', CURRENT_TIMESTAMP, 1, 1)"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            key = conn.execute(sa.text("SELECT search_key FROM mailboxes")).scalar_one()
        assert key == "j.doe\njane doe\njane@home.org"
        db.engine.dispose()


def test_upgrades_keep_every_row_of_the_tables_they_rebuild(test_config, tmp_path):
    """SQLite tables are rebuilt by copy; with foreign keys enforced, dropping the old `domains`
    would cascade to the mailboxes, aliases and accesses: the upgrade must keep them all."""
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    tables = ("users", "domains", "domain_accesses", "mailboxes", "aliases")
    with app.app_context():
        upgrade(revision="d70c50a160e2")  # the first revision with mailboxes and aliases
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO users (email, name, password_hash, is_superuser, active, "
                "session_nonce, created_at) VALUES ('o@acme.fr', 'O', 'x', 0, 1, 'n', "
                "CURRENT_TIMESTAMP)",
                "INSERT INTO domains (name, support_email, status, status_changed_at, "
                "created_at, checks_supported) VALUES ('acme.fr', 's@acme.fr', 'enabled', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
                "INSERT INTO domain_accesses (domain_id, user_id, role, created_at) "
                "VALUES (1, 1, 'owner', CURRENT_TIMESTAMP)",
                "INSERT INTO mailboxes (domain_id, local_part, first_name, last_name, name_key, "
                "status, created_at, enabled_wanted, names_synced) VALUES (1, 'j.doe', 'Jane', "
                "'Doe', 'jane doe', 'enabled', CURRENT_TIMESTAMP, 1, 1)",
                "INSERT INTO aliases (domain_id, local_part, destination, status, created_at) "
                "VALUES (1, 'contact', 'j.doe@acme.fr', 'enabled', CURRENT_TIMESTAMP)",
            ):
                conn.execute(sa.text(statement))
        upgrade()
        with db.engine.connect() as conn:
            count = "SELECT count(*) FROM {}"  # the fixed names above
            kept = {t: conn.execute(sa.text(count.format(t))).scalar() for t in tables}
            enforced = conn.execute(sa.text("PRAGMA foreign_keys")).scalar()
        assert kept == dict.fromkeys(tables, 1)
        assert enforced == 1  # and foreign keys are enforced again afterwards
        db.engine.dispose()

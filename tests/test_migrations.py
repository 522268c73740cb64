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

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

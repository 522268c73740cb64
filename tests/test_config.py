import subprocess
import sys

import pytest

from webapp import ROOT, create_app
from webapp.config import ConfigError, normalise_database_url


def test_missing_secret_key_outside_development_stops_start_up(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_missing_secret_key_message_reaches_the_command_line():
    env = {"PATH": "/usr/bin:/bin", "APP_ENV": "production", "DATABASE_URL": "sqlite://"}
    result = subprocess.run(
        [sys.executable, "-c", "from webapp import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("key", ["x", "a-short-key", "s" * 31])
def test_a_short_secret_key_stops_production_start_up(monkeypatch, key):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY is too short .* at least 32"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_secret_keys_the_readme_and_compose_suggest_are_long_enough(monkeypatch):
    import secrets

    for text in ((ROOT / "README.md").read_text(), (ROOT / "docker-compose.yml").read_text()):
        assert "secrets.token_urlsafe(48)" in text
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["APP_ENV"] == "production"
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_invents_and_keeps_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert len(first) > 40
    assert first == second


def test_bad_settings_are_named(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DOMAIN_CREATION", "everybody")
    with pytest.raises(ConfigError, match="DOMAIN_CREATION"):
        create_app()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/test",
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        ),
        ("postgres://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg_3(given, expected):
    assert normalise_database_url(given) == expected


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_healthz_answers_503_when_the_database_is_gone(test_config):
    app = create_app({**test_config, "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_security_headers_on_every_page(client):
    for url in ("/login", "/healthz", "/does-not-exist"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_job_retry_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("JOB_RETRY_INTERVALS", "1,2,30")
    monkeypatch.setenv("RECONCILE_AFTER_SECONDS", "5")
    config = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config
    assert config["JOB_RETRY_INTERVALS"] == (1, 2, 30)
    assert config["RECONCILE_AFTER_SECONDS"] == 5


@pytest.mark.parametrize("given", ["5, soon", "5,-1", "x"])
def test_bad_retry_intervals_are_named(monkeypatch, given):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("JOB_RETRY_INTERVALS", given)
    with pytest.raises(ConfigError, match="JOB_RETRY_INTERVALS"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_dimail_and_outbox_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DIMAIL_TIMEOUT", "7.5")
    monkeypatch.setenv("DIMAIL_CONNECT_TIMEOUT", "1.5")
    monkeypatch.setenv("DEV_OUTBOX", "on")
    monkeypatch.setenv("DEV_OUTBOX_DIR", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["DIMAIL_TIMEOUT"] == 7.5
    assert app.config["DIMAIL_CONNECT_TIMEOUT"] == 1.5
    assert app.config["DEV_OUTBOX_DIR"] == str(tmp_path)
    assert app.test_client().get("/dev/outbox").status_code == 200  # asked for: there


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("DIMAIL_URL", "127.0.0.1:8001"),
        ("DIMAIL_URL", "ftp://dimail.example"),
        ("DIMAIL_URL", "http://"),
        ("DIMAIL_URL", "http://dimail.example:port"),
        ("DIMAIL_URL", "http://dimail .example"),
        ("DIMAIL_TIMEOUT", "soon"),
        ("DIMAIL_CONNECT_TIMEOUT", "0"),
    ],
)
def test_bad_dimail_settings_stop_start_up_with_their_name(monkeypatch, name, given):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv(name, given)
    with pytest.raises(ConfigError, match=name):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

"""The same hostile requests through a real gunicorn on loopback, as in production: the answer
must leave the server (a header it cannot encode is a 500, or no answer at all), and the access
log must not keep the tokens of the links opened."""

import logging
import re
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import requests

from devtools.dev import free_port
from tests.conftest import PASSWORD
from tests.faults.support import worker_environment
from webapp import ROOT
from webapp.extensions import db
from webapp.models import Invitation, PasswordToken
from webapp.models.base import utcnow
from webapp.models.invitation import new_token


@pytest.fixture
def served(app, tmp_path):
    """gunicorn serving the test database; yields its address and the access log's path."""
    port, access_log = free_port(), tmp_path / "access.log"
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--no-control-socket", "--access-logfile", str(access_log),
         "wsgi:app"],
        cwd=ROOT, env=worker_environment(app.config), stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "error.log", "wb"),  # noqa: SIM115 - closed with the process
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "error.log").read_text()
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield base, access_log
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Traceback" not in (tmp_path / "error.log").read_text()


def raw(base: str, request: bytes) -> int:
    """Send bytes as they are (no client library would send these); the status answered."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = connection.recv(65536)
    return int(answer.split(b" ", 2)[1])


def test_hostile_requests_through_gunicorn(served, make_user, make_domain):
    base, access_log = served
    staff = make_user("staff@example.org", superuser=True)
    domain = make_domain("acme.fr", owner=staff)
    invitation_token, invitation_hash = new_token()
    reset_token, reset_hash = new_token()
    db.session.add_all([
        Invitation(domain_id=domain.id, email="new@example.org", role="viewer",
                   token_hash=invitation_hash, expires_at=utcnow() + timedelta(days=7)),
        PasswordToken(user_id=staff.id, token_hash=reset_hash, purpose="reset",
                      expires_at=utcnow() + timedelta(hours=1),
                      password_fingerprint=staff.password_fingerprint),
    ])  # fmt: skip
    db.session.commit()

    for host in (b"a" * 64 + b".example", b"a..b"):
        assert raw(base, b"GET /login HTTP/1.1\r\nHost: " + host + b"\r\n\r\n") == 400
    assert raw(base, "GET /domains/例え.jp/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()) < 500

    browser = requests.Session()
    opened = browser.get(
        f"{base}/invitations/{invitation_token}",
        headers={"Referer": f"{base}/password/reset/{reset_token}"},
    )
    assert opened.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', opened.text).group(1)
    logged_in = browser.post(
        f"{base}/login", params={"next": "/〱evil.example"},
        data={"email": staff.email, "password": PASSWORD, "csrf_token": token},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert logged_in.status_code == 200
    assert logged_in.headers["HX-Redirect"] == "/%E3%80%B1evil.example"
    huge = browser.post(f"{base}/users/{2**63}/deactivate", data={"csrf_token": token})
    assert huge.status_code == 404
    with_file = browser.post(
        f"{base}/domains/", data={"csrf_token": token}, files={"name": ("a.txt", b"x")}
    )
    assert with_file.status_code == 422

    time.sleep(0.2)  # the access log is written after each answer
    logged = access_log.read_text()
    assert "/invitations/[token]" in logged and "/password/reset/[token]" in logged
    assert invitation_token not in logged and reset_token not in logged


def test_the_development_server_log_masks_link_tokens(app, caplog):
    """`flask run` logs each request through the "werkzeug" logger, as Werkzeug formats it."""
    token = new_token()[0]
    werkzeug_log = logging.getLogger("werkzeug")
    with caplog.at_level("INFO", logger="werkzeug"):
        werkzeug_log.info(
            '%s - - [%s] %s %s %s', "127.0.0.1", "02/Dec/2026 10:00:00",
            f'"GET /password/reset/{token} HTTP/1.1"', "200", "-",
        )  # fmt: skip
        werkzeug_log.info('"GET /login?next=%%2Finvitations%%2F%s HTTP/1.1" 302 -', token)
        werkzeug_log.info('"POST /account/invitations/12/accept HTTP/1.1" 303 -')
    lines = [record.getMessage() for record in caplog.records]
    assert token not in "\n".join(lines)
    assert "/password/reset/[token]" in lines[0] and "%2Finvitations%2F[token]" in lines[1]
    assert "/account/invitations/12/accept" in lines[2]  # ids are no secret

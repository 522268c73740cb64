"""SMTP credentials travel only over TLS, unless SMTP_ALLOW_PLAINTEXT says otherwise."""

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from devtools.dev import free_port
from tests.fixtures_jobs import Outbox
from webapp import mail


class Recording(Outbox):
    def __init__(self):
        super().__init__()
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)


@pytest.fixture
def plaintext_server(app):
    """A mail server that offers AUTH without STARTTLS (a misconfigured relay, or a
    man in the middle who stripped STARTTLS from the answer)."""
    handler = Recording()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=handler.authenticate,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_USER="relay-user",
        SMTP_PASSWORD="relay-secret-password",
    )  # fmt: skip
    yield handler
    controller.stop()


def _message():
    return mail.build("jane@example.org", "Hello", "password_reset", link="http://x/", user=None)


def test_credentials_are_not_sent_to_a_server_without_tls(app, plaintext_server):
    assert app.config["SMTP_ALLOW_PLAINTEXT"] is False
    with pytest.raises(mail.PlaintextRefused, match="SMTP_ALLOW_PLAINTEXT"):
        mail.send(_message())
    assert plaintext_server.logins == [] and plaintext_server.messages == []


def test_smtp_allow_plaintext_sends_them_anyway(app, plaintext_server):
    app.config["SMTP_ALLOW_PLAINTEXT"] = True
    mail.send(_message())
    assert plaintext_server.logins == [(b"relay-user", b"relay-secret-password")]
    assert len(plaintext_server.messages) == 1


def test_without_credentials_no_tls_is_needed(app, outbox):
    mail.send(_message())
    assert len(outbox.messages) == 1

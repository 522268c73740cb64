"""A real OpenID Provider for the tests: `oidc-provider` (certified) run by node on a loopback
port, once per test session, with the clients and accounts below; a loopback proxy that alters
the token endpoint's answer; and a person's walk through the provider's own pages, in requests.

The provider's signing key is made here and handed to it, so that the proxy can sign an altered
ID token as the provider would (a wrong nonce), or with another key (a bad signature).
"""

import contextlib
import html
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from devtools.dev import free_port

HERE = Path(__file__).resolve().parent
TEST_BASE_URL = "http://mail-domains.test"  # tests.conftest: the BASE_URL of the tests' app
KID = "provider-key"
APP_CLIENT = "mail-domains"
OTHER_CLIENT = "another-application"  # the same provider's other client: another audience
SHORT_CLIENT = "short-lived"  # its ID tokens expire after one second
SHORT_TTL = 1
SIGNED_CLIENT = "signed-userinfo"  # its userinfo answers are signed JWTs
ACCOUNTS = {
    "alice": {"email": "alice@example.org", "email_verified": True, "name": "Alice Martin"},
    "carol": {"email": "Carol.Dupont@Example.ORG", "email_verified": True, "name": "Carol"},
    "bob": {"email": "bob@example.org", "email_verified": False, "name": "Bob Unverified"},
    "nina": {"email": "nina@example.org", "email_verified": True, "name": "Nina Newcomer"},
    "ivan": {"email": "ivan@example.org", "email_verified": True, "name": "Ivan Invited"},
    "dora": {"email": "dora@example.org", "email_verified": True, "name": "Dora Deactivated"},
    "paul": {"email": "paul@example.org", "email_verified": True, "name": "Paul Proxy"},
}


def provider_nowhere() -> dict:
    """Settings of a provider at an address where nothing listens: its routes answer (the login
    page's button, "cannot be reached") without reaching anything."""
    return {
        "OIDC_ISSUER": f"http://127.0.0.1:{free_port()}",
        "OIDC_CLIENT_ID": APP_CLIENT,
        "OIDC_CLIENT_SECRET": "not-a-real-secret",
    }


def npm_install() -> None:
    """`npm ci` into tests/oidc/node_modules when it is missing or older than the lock."""
    installed = HERE / "node_modules" / ".package-lock.json"  # npm writes it on each install
    lock = HERE / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    if shutil.which("npm") is None:
        pytest.fail("npm is needed for the OpenID Connect tests (node 20 and npm)")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True
    )


@dataclass
class Provider:
    issuer: str
    key: RSAKey
    secrets: dict[str, str]
    browser_port: int  # the port a browser test serves the app on, registered as a redirect
    process: subprocess.Popen = field(repr=False, default=None)

    def config(self, client_id: str = APP_CLIENT, **more) -> dict:
        """The app's settings to sign in with this provider as `client_id`."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": self.secrets[client_id],
            "OIDC_LOGIN_LABEL": "TestID",
            **more,
        }


def _client(client_id: str, secret: str, bases: list[str]) -> dict:
    return {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": [f"{base}/login/oidc/callback" for base in bases],
        "post_logout_redirect_uris": [f"{base}/login" for base in bases],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }


def start_provider() -> Provider:
    npm_install()
    port, browser_port = free_port(), free_port()
    key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
    bases = [TEST_BASE_URL, f"http://127.0.0.1:{browser_port}"]
    names = (APP_CLIENT, OTHER_CLIENT, SHORT_CLIENT, SIGNED_CLIENT)
    client_secrets = {name: secrets.token_urlsafe(24) for name in names}
    clients = [_client(c, s, bases) for c, s in client_secrets.items()]
    clients[-1]["userinfo_signed_response_alg"] = "RS256"
    config = {
        "port": port,
        "clients": clients,
        "accounts": ACCOUNTS,
        "jwks": {"keys": [key.as_dict(private=True)]},
        "idTokenTTL": {SHORT_CLIENT: SHORT_TTL},
        "cookieKeys": [secrets.token_urlsafe(24)],
    }
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs")],
        env={**os.environ, "OIDC_PROVIDER_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()  # "ready <issuer>", or nothing if node failed
    if not line.startswith("ready "):
        process.kill()
        pytest.fail(f"the OpenID Provider did not start: {line!r}")
    # Its later lines are drained, so that a chatty provider never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return Provider(line.split()[1], key, client_secrets, browser_port, process)


@pytest.fixture(scope="session")
def oidc_provider():
    provider = start_provider()
    try:
        yield provider
    finally:
        provider.process.terminate()
        provider.process.wait(timeout=10)


@contextlib.contextmanager
def provider_app(request, test_config: dict, provider: Provider):
    """The app signing in with the provider; a test's `indirect` parameters add settings (with
    OIDC_CLIENT_ID, as another of its clients)."""
    from tests.conftest import running_app

    settings = dict(getattr(request, "param", {}))
    client_id = settings.pop("OIDC_CLIENT_ID", APP_CLIENT)
    with running_app({**test_config, **provider.config(client_id), **settings}) as app:
        yield app


def walk_provider_pages(provider: Provider, url: str, login: str, http=None) -> str:
    """Follow the provider's pages from `url` as a person would (log in as `login`, consent);
    return the URL the provider sends the browser back to."""
    http = http or requests.Session()
    for _ in range(12):
        if not url.startswith(provider.issuer):
            return url
        answer = http.get(url, allow_redirects=False, timeout=5)
        if answer.is_redirect:
            url = urljoin(url, answer.headers["Location"])
            continue
        assert answer.status_code == 200, answer.text[:500]
        action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
        prompt = re.search(r'name="prompt" value="(\w+)"', answer.text)
        assert action and prompt, answer.text[:500]
        form = {"prompt": prompt.group(1)}
        if form["prompt"] == "login":
            form.update(login=login, password="anything")  # devInteractions check no password
        sent = http.post(urljoin(url, html.unescape(action.group(1))), data=form,
                         allow_redirects=False, timeout=5)  # fmt: skip
        assert sent.is_redirect, sent.text[:500]
        url = urljoin(url, sent.headers["Location"])
    raise AssertionError("the provider's pages went round in circles")


def app_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def sign_in(client, provider: Provider, login: str, *, start: str = "/login/oidc", http=None):
    """The whole sign-in from the app's button: the app's answer to the callback."""
    started = client.get(start)
    assert started.status_code == 302, started.get_data(as_text=True)[:500]
    back = walk_provider_pages(provider, started.headers["Location"], login, http)
    assert back.startswith(TEST_BASE_URL + "/login/oidc/callback"), back
    return client.get(app_path(back))


class TokenProxy:
    """A loopback proxy for the app's calls to the token endpoint: each answer goes through
    `alter` (the decoded JSON in, JSON out) after `delay` seconds."""

    def __init__(self, provider: Provider):
        self.provider = provider
        self.alter = None
        self.delay = 0.0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.post(
                    proxy.provider.issuer + self.path, data=body, headers=headers, timeout=5
                )
                data = answer.json()
                if proxy.alter is not None and answer.ok:
                    data = proxy.alter(data)
                time.sleep(proxy.delay)
                out = json.dumps(data).encode()
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, app) -> None:
        """Send `app`'s calls to the token endpoint through this proxy."""
        from webapp.oidc import client

        with app.test_request_context():
            metadata = client._metadata(app.extensions[client.EXTENSION])
        metadata["token_endpoint"] = self.url + urlsplit(metadata["token_endpoint"]).path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def resign(provider: Provider, id_token: str, key: RSAKey | None = None, **claims) -> str:
    """`id_token` with `claims` changed, signed with the provider's key (or `key`)."""
    token = jwt.decode(id_token, provider.key)
    return jwt.encode({"alg": "RS256", "kid": KID}, {**token.claims, **claims}, key or provider.key)

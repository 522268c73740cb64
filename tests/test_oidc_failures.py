"""Sign-ins through the real provider that must log nobody in: an ID token for another audience,
expired, badly signed or with another nonce (altered by a proxy in front of the token endpoint),
a missing or replayed state, an unverified email, a deactivated account, a provider that is
down or misconfigured. Each ends on the login page with a clear message, never a 500."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from devtools.dev import free_port
from tests.conftest import PASSWORD, running_app
from tests.oidc.fixtures import (
    KID,
    OTHER_CLIENT,
    SHORT_CLIENT,
    SHORT_TTL,
    TEST_BASE_URL,
    TokenProxy,
    app_path,
    provider_app,
    resign,
    sign_in,
    walk_provider_pages,
)
from tests.test_oidc import identities, login_page_after
from webapp.extensions import db
from webapp.models import SessionRecord

UNVERIFIED = "The answer from TestID could not be verified, so nobody is logged in."
UNREACHABLE = "TestID cannot be reached right now."


@pytest.fixture
def app(request, test_config, migrated, oidc_provider):
    with provider_app(request, test_config, oidc_provider) as app:
        yield app


@pytest.fixture(scope="module")
def token_proxy(oidc_provider):
    proxy = TokenProxy(oidc_provider)
    yield proxy
    proxy.close()


@pytest.fixture
def proxy(app, token_proxy):
    """The app's calls to the token endpoint go through the proxy, altered as the test says."""
    token_proxy.route(app)
    yield token_proxy
    token_proxy.alter, token_proxy.delay = None, 0.0


def refused_for(caplog, *checks: str) -> bool:
    """The log says which check refused the ID token."""
    return any(
        r.getMessage().startswith("ID token refused") and any(c in r.getMessage() for c in checks)
        for r in caplog.records
    )


def nobody_logged_in(client) -> bool:
    return client.get("/domains/").status_code == 302 and not db.session.scalar(
        db.select(db.func.count(SessionRecord.id))
    )


def test_a_bad_signature_is_refused(caplog, app, client, oidc_provider, make_user, proxy):
    make_user("paul@example.org")
    impostor = RSAKey.generate_key(2048, parameters={"kid": KID})  # same kid, another key
    proxy.alter = lambda data: {
        **data, "id_token": resign(oidc_provider, data["id_token"], impostor)
    }  # fmt: skip
    page = login_page_after(client, sign_in(client, oidc_provider, "paul"))
    assert UNVERIFIED in page
    assert refused_for(caplog, "BadSignatureError")
    assert nobody_logged_in(client) and identities() == []


def test_another_nonce_is_refused(caplog, app, client, oidc_provider, make_user, proxy):
    make_user("paul@example.org")
    proxy.alter = lambda data: {
        **data, "id_token": resign(oidc_provider, data["id_token"], nonce="another-nonce")
    }  # fmt: skip
    page = login_page_after(client, sign_in(client, oidc_provider, "paul"))
    assert UNVERIFIED in page
    assert refused_for(caplog, "nonce")
    assert nobody_logged_in(client)


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _other_clients_id_token(provider, http, nonce: str) -> str:
    """A genuine ID token of the provider's other client, for the same person and nonce."""
    verifier, challenge = _pkce()
    redirect_uri = TEST_BASE_URL + "/login/oidc/callback"
    query = urlencode({
        "client_id": OTHER_CLIENT, "response_type": "code", "scope": "openid email",
        "redirect_uri": redirect_uri, "state": "s", "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256",
    })  # fmt: skip
    back = walk_provider_pages(provider, f"{provider.issuer}/auth?{query}", "paul", http)
    code = parse_qs(urlsplit(back).query)["code"][0]
    answer = requests.post(
        provider.issuer + "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
              "code_verifier": verifier},
        auth=(OTHER_CLIENT, provider.secrets[OTHER_CLIENT]), timeout=5,
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()["id_token"]


def test_an_id_token_for_another_audience_is_refused(
    caplog, app, client, oidc_provider, make_user, proxy
):
    make_user("paul@example.org")
    http = requests.Session()  # one browser: logged in at the provider for both clients
    started = client.get("/login/oidc")
    authorize = started.headers["Location"]
    back = walk_provider_pages(oidc_provider, authorize, "paul", http)
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    foreign = _other_clients_id_token(oidc_provider, http, nonce)
    proxy.alter = lambda data: {**data, "id_token": foreign}
    page = login_page_after(client, client.get(app_path(back)))
    assert UNVERIFIED in page
    assert refused_for(caplog, "'aud'", "'azp'")  # azp: the audience is not us
    assert nobody_logged_in(client)


@pytest.mark.parametrize(
    "app",
    [{"OIDC_CLIENT_ID": SHORT_CLIENT, "OIDC_CLOCK_LEEWAY": 0}],
    indirect=True,
)
def test_an_expired_id_token_is_refused(caplog, app, client, oidc_provider, make_user, proxy):
    make_user("paul@example.org")
    proxy.delay = SHORT_TTL + 1.1  # the token has expired by the time the app reads it
    page = login_page_after(client, sign_in(client, oidc_provider, "paul"))
    assert UNVERIFIED in page
    assert refused_for(caplog, "ExpiredTokenError")
    assert nobody_logged_in(client)


def test_a_missing_or_replayed_state_is_refused(app, client, oidc_provider, make_user):
    make_user("paul@example.org")
    started = client.get("/login/oidc")
    back = walk_provider_pages(oidc_provider, started.headers["Location"], "paul")
    code = parse_qs(urlsplit(back).query)["code"][0]
    page = login_page_after(client, client.get(f"/login/oidc/callback?code={code}"))
    assert "This sign-in was not started here, or was already used: start again." in page
    assert nobody_logged_in(client)

    done = client.get(app_path(back))  # the genuine callback still works once
    assert done.headers["Location"] == "/domains/"
    client.post_form("/logout")
    replayed = client.get(app_path(back))
    page = login_page_after(client, replayed)
    assert "This sign-in was not started here, or was already used" in page
    assert client.get("/domains/").status_code == 302

    stranger = app.test_client()  # a callback URL taken to another browser
    page = login_page_after(stranger, stranger.get(app_path(back)))
    assert "was not started here" in page


def test_an_unverified_email_links_nothing(app, client, oidc_provider, make_user):
    make_user("bob@example.org")
    page = login_page_after(client, sign_in(client, oidc_provider, "bob"))
    assert "TestID did not confirm that this email address is yours" in page
    assert nobody_logged_in(client) and identities() == []


@pytest.mark.parametrize("app", [{"OIDC_CREATE_USERS": True}], indirect=True)
def test_an_unverified_email_creates_no_account_either(app, client, oidc_provider):
    page = login_page_after(client, sign_in(client, oidc_provider, "bob"))
    assert "did not confirm that this email address is yours" in page
    assert identities() == []


def test_a_deactivated_account_is_refused_linked_or_not(app, client, oidc_provider, make_user):
    dora = make_user("dora@example.org", active=False)
    page = login_page_after(client, sign_in(client, oidc_provider, "dora"))
    assert "This account is deactivated." in page
    assert identities() == []

    dora.active = True
    db.session.commit()
    assert sign_in(client, oidc_provider, "dora").headers["Location"] == "/domains/"
    client.post_form("/logout")
    dora.active = False
    db.session.commit()
    later = app.test_client()
    page = login_page_after(later, sign_in(later, oidc_provider, "dora"))
    assert "This account is deactivated." in page


@pytest.fixture
def stopped_provider_app(test_config, migrated, oidc_provider):
    port = free_port()  # nothing listens there: the provider is down
    settings = {**test_config, **oidc_provider.config(), "OIDC_ISSUER": f"http://127.0.0.1:{port}"}
    with running_app(settings) as app:
        yield app


def test_a_provider_that_is_down_leaves_the_password_login_working(stopped_provider_app, make_user):
    client = stopped_provider_app.test_client()
    make_user("alice@example.org")
    answer = client.get("/login/oidc?next=/domains/")
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert UNREACHABLE in page
    logged_in = client.post_form("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert logged_in.status_code == 303 and logged_in.headers["Location"] == "/domains/"


def test_a_provider_that_stops_during_the_sign_in_gives_a_message(
    app, client, oidc_provider, make_user, token_proxy
):
    make_user("paul@example.org")
    gone = f"http://127.0.0.1:{free_port()}/token"
    with app.test_request_context():
        from webapp.oidc import client as oidc_client

        oidc_client._metadata(app.extensions[oidc_client.EXTENSION])["token_endpoint"] = gone
    page = login_page_after(client, sign_in(client, oidc_provider, "paul"))
    assert UNREACHABLE in page


@pytest.fixture
def misconfigured_app(test_config, migrated, oidc_provider):
    # The provider answers at localhost, but names itself 127.0.0.1: not the issuer configured.
    issuer = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    with running_app({**test_config, **oidc_provider.config(), "OIDC_ISSUER": issuer}) as app:
        yield app


def test_a_provider_naming_another_issuer_is_not_trusted(misconfigured_app):
    client = misconfigured_app.test_client()
    answer = client.get("/login/oidc")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Signing in with TestID is not working: its settings here are wrong." in page


def test_cancelling_at_the_provider_says_so(app, client):
    page = login_page_after(client, client.get("/login/oidc/callback?error=access_denied"))
    assert "The sign-in was cancelled at TestID." in page


def test_an_answer_naming_another_issuer_is_refused(app, client, oidc_provider, make_user):
    make_user("paul@example.org")
    started = client.get("/login/oidc")
    back = walk_provider_pages(oidc_provider, started.headers["Location"], "paul")
    mixed_up = app_path(back).replace("iss=", "iss=https%3A%2F%2Fevil.example&was=")
    page = login_page_after(client, client.get(mixed_up))
    assert UNVERIFIED in page
    assert nobody_logged_in(client)


def test_the_access_log_keeps_no_authorization_code(caplog):
    import logging

    from webapp.access_log import TOKEN_FILTER

    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addFilter(TOKEN_FILTER)
    try:
        with caplog.at_level("INFO", logger="werkzeug"):
            werkzeug_log.info(
                '"GET /login/oidc/callback?code=s3cr3t-code&state=xyz HTTP/1.1" 303 -'
            )
    finally:
        werkzeug_log.removeFilter(TOKEN_FILTER)
    line = caplog.records[-1].getMessage()
    assert "s3cr3t-code" not in line and "/login/oidc/callback?[token] HTTP/1.1" in line

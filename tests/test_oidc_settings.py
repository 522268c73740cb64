"""The identity provider's settings, and LOCAL_LOGIN=superusers: only superusers keep a
password (to get in while the provider is down), the others are told to use the provider."""

import pytest

from tests.conftest import PASSWORD, running_app
from webapp import create_app
from webapp.config import ConfigError
from webapp.extensions import db
from webapp.models import DomainStatus, PasswordToken
from webapp.models.base import utcnow
from webapp.models.invitation import new_token

PROVIDER = {
    # Never reached by these tests: nothing here starts a sign-in.
    "OIDC_ISSUER": "https://id.example.org",
    "OIDC_CLIENT_ID": "mail-domains",
    "OIDC_CLIENT_SECRET": "not-a-real-secret",
    "OIDC_LOGIN_LABEL": "ProConnect",
}
SSO_ONLY = "Here, passwords are for superusers only: sign in with ProConnect instead"


@pytest.fixture
def app(test_config, migrated):
    with running_app({**test_config, **PROVIDER, "LOCAL_LOGIN": "superusers"}) as app:
        yield app


def test_a_superuser_still_logs_in_with_a_password(app, client, make_user):
    make_user("staff@example.org", superuser=True)
    answer = client.post_form("/login", {"email": "staff@example.org", "password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"] == "/domains/"


def test_others_are_sent_to_the_provider_and_a_wrong_password_says_no_more(app, client, make_user):
    make_user("alice@example.org")
    right = client.post_form("/login", {"email": "alice@example.org", "password": PASSWORD})
    assert right.status_code == 422
    assert SSO_ONLY in right.get_data(as_text=True)
    wrong = client.post_form("/login", {"email": "alice@example.org", "password": "wrong-pass1"})
    assert SSO_ONLY not in wrong.get_data(as_text=True)
    assert "The email or the password is not right." in wrong.get_data(as_text=True)
    assert client.get("/domains/").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with ProConnect" in page
    assert "Passwords are for superusers only, for when ProConnect is down." in page


def test_password_reset_is_for_superusers_only(app, client, make_user):
    alice = make_user("alice@example.org")
    make_user("staff@example.org", superuser=True)
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "only superusers have a password, so only they can choose a new one" in page
    client.post_form("/password/forgot", {"email": "alice@example.org"})
    client.post_form("/password/forgot", {"email": "staff@example.org"})
    sent_to = db.session.scalars(db.select(PasswordToken.user_id)).all()
    assert alice.id not in sent_to and len(sent_to) == 1
    # A link sent before the setting changed no longer works for her either.
    token, token_hash = new_token()
    db.session.add(PasswordToken(user_id=alice.id, token_hash=token_hash, purpose="reset",
                                 expires_at=utcnow().replace(year=2100),
                                 password_fingerprint=alice.password_fingerprint))  # fmt: skip
    db.session.commit()
    answer = client.get(f"/password/reset/{token}")
    assert answer.status_code == 410
    assert "only superusers have a password" in answer.get_data(as_text=True)


def test_an_invitation_is_accepted_through_the_provider_only(app, client, make_user, make_domain):
    from tests.test_oidc import _invite

    acme = make_domain("acme.fr", owner=make_user(), status=DomainStatus.ENABLED)
    token = _invite(acme, "ivan@example.org")
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Sign in with ProConnect" in page
    assert 'name="password"' not in page
    answer = client.post_form(f"/invitations/{token}", {"name": "Ivan", "password": PASSWORD * 2})
    assert SSO_ONLY in answer.get_data(as_text=True)
    assert client.get("/domains/").status_code == 302


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"LOCAL_LOGIN": "nobody"}, "LOCAL_LOGIN must be 'on' or 'superusers'"),
        ({"LOCAL_LOGIN": "superusers"}, "LOCAL_LOGIN=superusers needs OIDC_ISSUER"),
        ({"OIDC_ISSUER": "https://id.example.org"}, "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"),
        ({**PROVIDER, "OIDC_ISSUER": "id.example.org"}, "OIDC_ISSUER must be the provider's"),
        ({**PROVIDER, "OIDC_SCOPES": "email profile"}, "OIDC_SCOPES must include openid"),
    ],
)
def test_settings_that_cannot_work_stop_start_up(monkeypatch, test_config, settings, message):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app(test_config)


def test_without_a_provider_there_is_no_button_and_no_route(test_config, migrated):
    with running_app(test_config) as plain:
        client = plain.test_client()
        _no_provider(client)


def _no_provider(client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404

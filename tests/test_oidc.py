"""Signing in through a real OpenID Provider (tests/oidc): the account it finds, links or
creates, and what the person sees."""

import pytest

from tests.conftest import running_app
from tests.oidc.fixtures import sign_in
from webapp.extensions import db
from webapp.models import ExternalIdentity


@pytest.fixture
def app(test_config, migrated, oidc_provider):
    with running_app({**test_config, **oidc_provider.config()}) as app:
        yield app


def test_a_verified_email_links_the_existing_account_and_logs_in(
    app, client, oidc_provider, make_user
):
    alice = make_user("alice@example.org")
    answer = sign_in(client, oidc_provider, "alice")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/domains/"
    page = client.get("/domains/").get_data(as_text=True)
    assert "alice@example.org" in page
    identity = db.session.scalar(db.select(ExternalIdentity))
    assert (identity.user_id, identity.issuer, identity.subject) == (
        alice.id,
        oidc_provider.issuer,
        "alice",
    )

"""Signing in through a real OpenID Provider (tests/oidc): the account it finds, links or
creates, the invitations it meets, and what the person sees."""

from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.oidc.fixtures import SIGNED_CLIENT, provider_app, sign_in
from webapp.extensions import db
from webapp.models import DomainAccess, DomainStatus, ExternalIdentity, Invitation, Role, User
from webapp.models.base import utcnow
from webapp.models.invitation import new_token


@pytest.fixture
def app(request, test_config, migrated, oidc_provider):
    with provider_app(request, test_config, oidc_provider) as app:
        yield app


def login_page_after(client, answer) -> str:
    """The login page the refused sign-in lands on, with its message."""
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    assert answer.headers["Location"].startswith("/login"), answer.headers["Location"]
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


def identities():
    return db.session.execute(
        db.select(ExternalIdentity.user_id, ExternalIdentity.subject).order_by("id")
    ).all()


def test_a_verified_email_links_the_existing_account_and_later_sign_ins_find_it(
    app, client, oidc_provider, make_user, make_domain
):
    alice = make_user("alice@example.org")
    make_domain("acme.fr", owner=alice, status=DomainStatus.ENABLED)
    make_domain("elsewhere.fr", owner=make_user())
    answer = sign_in(client, oidc_provider, "alice")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/domains/"
    page = client.get("/domains/").get_data(as_text=True)
    assert "acme.fr" in page and "elsewhere.fr" not in page
    assert identities() == [(alice.id, "alice")]
    identity = db.session.scalar(db.select(ExternalIdentity))
    assert identity.issuer == oidc_provider.issuer
    assert identity.email == "alice@example.org"  # from userinfo: the ID token had only sub

    client.post_form("/logout")
    assert client.get("/domains/").status_code == 302
    again = sign_in(app.test_client(), oidc_provider, "alice")
    assert again.headers["Location"] == "/domains/"
    assert identities() == [(alice.id, "alice")]  # found by (issuer, sub), not linked twice


@pytest.mark.parametrize("app", [{"OIDC_CLIENT_ID": SIGNED_CLIENT}], indirect=True)
def test_a_signed_userinfo_answer_is_read_and_checked(app, client, oidc_provider, make_user):
    alice = make_user("alice@example.org")
    assert sign_in(client, oidc_provider, "alice").headers["Location"] == "/domains/"
    assert identities() == [(alice.id, "alice")]


def test_the_email_is_matched_whatever_its_case(app, client, oidc_provider, make_user):
    carol = make_user("carol.dupont@example.org")  # the provider says Carol.Dupont@Example.ORG
    assert sign_in(client, oidc_provider, "carol").headers["Location"] == "/domains/"
    assert identities() == [(carol.id, "carol")]


def test_the_next_page_is_kept_and_checked_as_for_the_password_login(
    app, client, oidc_provider, make_user, make_domain
):
    alice = make_user("alice@example.org")
    make_domain("acme.fr", owner=alice)
    kept = sign_in(client, oidc_provider, "alice", start="/login/oidc?next=/domains/acme.fr/")
    assert kept.headers["Location"] == "/domains/acme.fr/"
    other = app.test_client()
    evil = sign_in(other, oidc_provider, "alice", start="/login/oidc?next=//evil.example/")
    assert evil.headers["Location"] == "/domains/"


def test_the_login_page_offers_the_provider_and_keeps_the_next_page(app, client):
    page = client.get("/login?next=/domains/acme.fr/").get_data(as_text=True)
    assert "Sign in with TestID" in page
    assert 'href="/login/oidc?next=/domains/acme.fr/"' in page
    assert 'name="password"' in page  # local login stays


def test_an_unknown_person_is_refused_when_accounts_are_not_created(app, client, oidc_provider):
    page = login_page_after(client, sign_in(client, oidc_provider, "nina"))
    assert "No account here uses nina@example.org" in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0
    assert client.get("/domains/").status_code == 302  # nobody is logged in


@pytest.mark.parametrize("app", [{"OIDC_CREATE_USERS": True}], indirect=True)
def test_with_oidc_create_users_a_first_sign_in_creates_the_account(app, client, oidc_provider):
    answer = sign_in(client, oidc_provider, "nina")
    assert answer.headers["Location"] == "/domains/"
    nina = db.session.scalar(db.select(User))
    assert (nina.email, nina.name, nina.is_superuser) == (
        "nina@example.org",
        "Nina Newcomer",
        False,
    )
    assert identities() == [(nina.id, "nina")]
    assert "nina@example.org" in client.get("/domains/").get_data(as_text=True)


def _invite(domain, email, role=Role.VIEWER) -> str:
    token, token_hash = new_token()
    db.session.add(
        Invitation(domain_id=domain.id, email=email, role=role, token_hash=token_hash,
                   expires_at=utcnow() + timedelta(days=7))
    )  # fmt: skip
    db.session.commit()
    return token


def test_following_an_invitation_then_signing_in_creates_the_account_and_accepts_it(
    app, client, oidc_provider, make_user, make_domain
):
    owner = make_user("owner@example.org")
    acme = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    other = make_domain("other.fr", owner=owner)
    token = _invite(acme, "ivan@example.org", Role.ADMINISTRATOR)
    _invite(other, "ivan@example.org")
    invitation_page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert f'href="/login/oidc?next=/invitations/{token}"' in invitation_page
    start = f"/login/oidc?next={quote(f'/invitations/{token}', safe='')}"
    assert "Sign in with TestID" in invitation_page

    answer = sign_in(client, oidc_provider, "ivan", start=start)
    ivan = db.session.scalar(db.select(User).where(User.email == "ivan@example.org"))
    assert ivan is not None and ivan.name == "Ivan Invited"
    access = db.session.scalar(db.select(DomainAccess).where(DomainAccess.user_id == ivan.id))
    assert (access.domain_id, access.role) == (acme.id, Role.ADMINISTRATOR)
    # The other invitation is offered, as after a sign-up with a password.
    assert answer.headers["Location"] == "/account/invitations"
    waiting = client.get("/account/invitations").get_data(as_text=True)
    assert "other.fr" in waiting and "Welcome! You now have access to acme.fr." in waiting


def test_an_invitation_does_not_create_an_account_for_another_email(
    app, client, oidc_provider, make_user, make_domain
):
    acme = make_domain("acme.fr", owner=make_user("owner@example.org"))
    token = _invite(acme, "ivan@example.org")
    start = f"/login/oidc?next={quote(f'/invitations/{token}', safe='')}"
    page = login_page_after(client, sign_in(client, oidc_provider, "nina", start=start))
    assert "This invitation is for ivan@example.org" in page
    assert "signed you in as nina@example.org" in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1  # the owner only
    assert db.session.scalar(db.select(Invitation.accepted_at)) is None


def test_an_existing_account_following_an_invitation_lands_on_it_to_accept(
    app, client, oidc_provider, make_user, make_domain
):
    acme = make_domain("acme.fr", owner=make_user("owner@example.org"))
    make_user("alice@example.org")
    token = _invite(acme, "alice@example.org")
    start = f"/login/oidc?next={quote(f'/invitations/{token}', safe='')}"
    answer = sign_in(client, oidc_provider, "alice", start=start)
    assert answer.headers["Location"] == f"/invitations/{token}"
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Accept the invitation" in page and "You are logged in as alice@example.org" in page


@pytest.mark.parametrize("app", [{"REQUIRE_2FA": "all-local"}], indirect=True)
def test_require_2fa_holds_the_password_login_but_not_the_provider_sign_in(
    app, client, oidc_provider, make_user, make_domain
):
    alice = make_user("alice@example.org")
    make_domain("acme.fr", owner=alice, status=DomainStatus.ENABLED)
    assert sign_in(client, oidc_provider, "alice").headers["Location"] == "/domains/"
    page = client.get("/domains/")
    assert page.status_code == 200 and "acme.fr" in page.get_data(as_text=True)

    by_password = app.test_client()
    answer = by_password.post_form("/login", {"email": alice.email, "password": PASSWORD})
    assert answer.status_code == 303
    held = by_password.get("/domains/")
    assert held.status_code == 303 and held.headers["Location"].endswith("/account/2fa")

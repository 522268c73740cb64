"""Invitations and password links: single use, expiry, hashing at rest, and the accounts page."""

import re
from datetime import timedelta

import pytest

from tests.page_tokens import without_tokens
from webapp.extensions import db
from webapp.models import DomainAccess, Invitation, PasswordToken, Role, User
from webapp.models.base import utcnow
from webapp.services.accounts import find_user_by_email


@pytest.fixture
def owner(make_owner):
    """The shared owner, with a name: invitations say who sent them."""
    return make_owner(name="Olive Owner")


@pytest.fixture
def team(owner, make_domain):
    return make_domain("team.fr", owner=owner)


def invite(client, email, role="viewer", domain="team.fr"):
    return client.post_form(f"/domains/{domain}/invitations/", {"email": email, "role": role})


def link_in(outbox, address):
    [message] = outbox.to(address)
    return re.search(r"https?://\S+/invitations/(\S+)", outbox.text(message)).group(1)


def test_an_invitation_is_emailed_and_accepted_with_a_new_account(
    app, client, team, run_jobs, outbox
):
    response = invite(client, "New.Person@Example.org", "administrator")
    assert response.status_code == 303
    run_jobs()
    token = link_in(outbox, "new.person@example.org")
    invitation = db.session.scalar(db.select(Invitation))
    # Only a hash is stored, never the token itself.
    assert invitation.token_hash != token and token not in repr(invitation.__dict__)
    assert invitation.sent_at is not None

    client.post_form("/logout")
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "team.fr" in page.get_data(as_text=True)
    bad = client.post_form(f"/invitations/{token}", {"name": "", "password": "short"})
    assert bad.status_code == 422
    assert 'id="name-error"' in bad.get_data(as_text=True)
    assert 'id="password-error"' in bad.get_data(as_text=True)

    done = client.post_form(
        f"/invitations/{token}", {"name": "New Person", "password": "a-long-password"}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/domains/team.fr/"
    user = find_user_by_email("new.person@example.org")
    role = db.session.scalar(db.select(DomainAccess.role).where(DomainAccess.user_id == user.id))
    assert role == "administrator"
    assert client.get("/domains/team.fr/").status_code == 200  # logged in

    # Single use.
    client.post_form("/logout")
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)


def test_an_existing_account_gets_access_at_once(client, team, make_user, outbox):
    make_user("known@example.org")
    response = invite(client, "KNOWN@example.org", "viewer")
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0
    assert db.session.scalar(db.select(db.func.count(DomainAccess.id))) == 2


def test_one_pending_invitation_per_email_and_domain(client, team):
    invite(client, "new@example.org")
    again = invite(client, "new@example.org", "administrator")
    assert again.status_code == 422
    assert "already pending" in again.get_data(as_text=True)


def test_nobody_invites_above_their_own_role(client, make_user, make_domain, grant, login_as):
    domain = make_domain("team.fr", owner=make_user())
    admin = make_user()
    grant(admin, domain, Role.ADMINISTRATOR)
    login_as(admin)
    response = invite(client, "new@example.org", "owner")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="invite-role-error"' in page
    # The error summary's link leads to the select itself.
    assert 'href="#invite-role"' in page and 'aria-describedby="invite-role-error"' in page
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


@pytest.mark.parametrize("email", ["", "nope", "a@b", "x@@y.fr"])
def test_bad_emails_are_refused_on_the_field(client, team, email):
    response = invite(client, email)
    assert response.status_code == 422 and 'id="email-error"' in response.get_data(as_text=True)


def test_expired_cancelled_and_unknown_tokens_get_a_clear_page(client, team, run_jobs, outbox):
    invite(client, "late@example.org")
    invite(client, "gone@example.org")
    run_jobs()
    late, gone = link_in(outbox, "late@example.org"), link_in(outbox, "gone@example.org")
    late_invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.email == "late@example.org")
    )
    late_invitation.expires_at = utcnow() - timedelta(minutes=1)
    gone_invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.email == "gone@example.org")
    )
    db.session.commit()
    page = client.get("/domains/team.fr/accesses/").get_data(as_text=True)
    assert 'data-status="expired"' in page
    assert (
        client.post_form(f"/domains/team.fr/invitations/{gone_invitation.id}/cancel").status_code
        == 303
    )

    client.post_form("/logout")
    expired = client.get(f"/invitations/{late}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    cancelled = client.post_form(
        f"/invitations/{gone}", {"name": "X", "password": "a-long-password"}
    )
    assert cancelled.status_code == 410 and "cancelled" in cancelled.get_data(as_text=True)
    unknown = client.get("/invitations/made-up-token")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)
    assert find_user_by_email("gone@example.org") is None


def test_resend_renews_the_expiry_and_replaces_the_link(client, team, run_jobs, outbox):
    invite(client, "new@example.org")
    run_jobs()
    first = link_in(outbox, "new@example.org")
    invitation = db.session.scalar(db.select(Invitation))
    invitation.expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert (
        client.post_form(f"/domains/team.fr/invitations/{invitation.id}/resend").status_code == 303
    )
    db.session.refresh(invitation)
    assert invitation.expires_at > utcnow() + timedelta(days=6)
    outbox.messages.clear()
    run_jobs()
    second = link_in(outbox, "new@example.org")
    assert second != first
    client.post_form("/logout")
    assert client.get(f"/invitations/{first}").status_code == 404  # the old link is dead
    assert client.get(f"/invitations/{second}").status_code == 200


def test_a_token_for_one_domain_cannot_accept_another(client, owner, make_domain, run_jobs, outbox):
    make_domain("team.fr", owner=owner)
    make_domain("other.fr", owner=owner)
    invite(client, "one@example.org", domain="team.fr")
    invite(client, "two@example.org", domain="other.fr")
    run_jobs()
    token = link_in(outbox, "one@example.org")
    client.post_form("/logout")
    client.post_form(f"/invitations/{token}", {"name": "One", "password": "a-long-password"})
    one = find_user_by_email("one@example.org")
    domains = db.session.scalars(
        db.select(DomainAccess.domain_id).where(DomainAccess.user_id == one.id)
    ).all()
    assert len(domains) == 1
    assert client.get("/domains/other.fr/").status_code == 404
    # The other invitation is still pending for its own invitee.
    assert (
        db.session.scalar(
            db.select(Invitation.accepted_at).where(Invitation.email == "two@example.org")
        )
        is None
    )


def test_accepting_one_invitation_shows_the_others_to_accept_each(
    client, owner, make_domain, run_jobs, outbox
):
    """Following one link is one yes: an owner's role on another domain is not taken unseen."""
    make_domain("team.fr", owner=owner)
    make_domain("other.fr", owner=owner)
    make_domain("third.fr", owner=owner)
    invite(client, "both@example.org", domain="team.fr")
    invite(client, "both@example.org", "owner", domain="other.fr")
    invite(client, "both@example.org", "administrator", domain="third.fr")
    run_jobs()
    token = re.search(r"/invitations/(\S+)", outbox.text(outbox.to("both@example.org")[0])).group(1)
    client.post_form("/logout")
    done = client.post_form(
        f"/invitations/{token}", {"name": "Both", "password": "a-long-password"}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/account/invitations"
    assert client.get("/domains/team.fr/").status_code == 200
    assert client.get("/domains/other.fr/").status_code == 404  # not accepted by the first link
    page = client.get("/account/invitations").get_data(as_text=True)
    assert "other.fr" in page and 'data-role="owner"' in page and "third.fr" in page
    assert "team.fr" not in page

    other = db.session.scalar(db.select(Invitation).where(Invitation.role == "owner"))
    accepted = client.post_form(f"/account/invitations/{other.id}/accept")
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/account/invitations"
    assert client.get("/domains/other.fr/").status_code == 200
    assert client.get("/domains/third.fr/").status_code == 404  # still waiting for its own yes
    page = client.get("/account/invitations").get_data(as_text=True)
    assert "other.fr" not in page and "third.fr" in page


def test_only_the_invitee_accepts_a_waiting_invitation(client, owner, make_domain, make_user):
    make_domain("team.fr", owner=owner)
    invite(client, "someone@example.org", "owner")
    invitation = db.session.scalar(db.select(Invitation))
    client.post_form("/logout")
    stranger = make_user("stranger@example.org")
    client.post_form("/login", {"email": stranger.email, "password": "correct-horse-battery"})
    answer = client.post_form(f"/account/invitations/{invitation.id}/accept")
    assert answer.status_code == 303
    assert client.get("/domains/team.fr/").status_code == 404
    assert db.session.get(Invitation, invitation.id).accepted_at is None


def test_a_logged_in_invitee_just_accepts(client, team, make_user, run_jobs, outbox, login_as):
    invite(client, "later@example.org")
    run_jobs()
    token = link_in(outbox, "later@example.org")
    client.post_form("/logout")
    # The account appeared since (created by staff, say): log in, then accept.
    later = make_user("later@example.org")
    redirected = client.get(f"/invitations/{token}")
    assert redirected.status_code == 303 and "/login" in redirected.headers["Location"]
    login_as(later)
    assert client.post_form(f"/invitations/{token}").status_code == 303
    assert client.get("/domains/team.fr/").status_code == 200


def test_forgot_password_says_the_same_whether_or_not_the_account_exists(
    client, make_user, run_jobs, outbox
):
    make_user("jane@example.org")
    known = client.post_form(
        "/password/forgot", {"email": "jane@example.org"}, follow_redirects=True
    )
    unknown = client.post_form(
        "/password/forgot", {"email": "who@example.org"}, follow_redirects=True
    )
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(
        unknown.get_data(as_text=True)
    )
    run_jobs()
    assert outbox.to("jane@example.org") and not outbox.to("who@example.org")
    stored = db.session.scalar(db.select(PasswordToken))
    token = re.search(
        r"/password/reset/(\S+)", outbox.text(outbox.to("jane@example.org")[0])
    ).group(1)
    assert stored.token_hash != token

    assert (
        client.post_form(
            f"/password/reset/{token}",
            {"new_password": "brand-new-password", "confirm": "brand-new-password"},
        ).status_code
        == 303
    )
    assert client.get(f"/password/reset/{token}").status_code == 410  # single use
    client.post_form("/logout")
    login = client.post_form(
        "/login", {"email": "jane@example.org", "password": "brand-new-password"}
    )
    assert login.status_code == 303


def test_an_expired_password_link_is_refused(client, make_user, run_jobs, outbox):
    make_user("jane@example.org")
    client.post_form("/password/forgot", {"email": "jane@example.org"})
    run_jobs()
    token = re.search(
        r"/password/reset/(\S+)", outbox.text(outbox.to("jane@example.org")[0])
    ).group(1)
    record = db.session.scalar(db.select(PasswordToken))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 410


def test_superusers_create_deactivate_and_reactivate_accounts(
    app, client, make_user, login_as, run_jobs, outbox
):
    staff = make_user("staff@example.org", superuser=True)
    worker = make_user("worker@example.org")
    other = app.test_client()
    other.post_form("/login", {"email": worker.email, "password": "correct-horse-battery"})
    assert other.get("/domains/").status_code == 200
    login_as(staff)

    assert client.post_form(f"/users/{worker.id}/deactivate").status_code == 303
    assert other.get("/domains/").status_code == 302  # its session stopped
    assert "Deactivated" in client.get("/users/").get_data(as_text=True)
    assert client.post_form(f"/users/{worker.id}/reactivate").status_code == 303
    assert db.session.get(User, worker.id).active

    created = client.post_form("/users/", {"email": "fresh@example.org", "name": "Fresh"})
    assert created.status_code == 303
    run_jobs()
    [message] = outbox.to("fresh@example.org")
    token = re.search(r"/password/reset/(\S+)", outbox.text(message)).group(1)
    client.post_form("/logout")
    assert (
        client.post_form(
            f"/password/reset/{token}",
            {"new_password": "fresh-password-1", "confirm": "fresh-password-1"},
        ).status_code
        == 303
    )
    assert client.post_form(f"/users/{staff.id}/deactivate").status_code == 403  # not staff now


def test_staff_cannot_deactivate_themselves(client, make_user, login_as):
    staff = make_user(superuser=True)
    login_as(staff)
    client.post_form(f"/users/{staff.id}/deactivate")
    assert db.session.get(User, staff.id).active


def test_only_owners_resend_or_cancel_an_invitation_to_be_owner(
    client, owner, team, make_user, grant
):
    invite(client, "future.owner@example.org", "owner")
    invite(client, "future.viewer@example.org", "viewer")
    to_owner, to_viewer = (
        db.session.scalar(db.select(Invitation).where(Invitation.role == role))
        for role in ("owner", "viewer")
    )
    expiry, link = to_owner.expires_at, to_owner.token_hash
    admin = make_user("admin@example.org")
    grant(admin, team, Role.ADMINISTRATOR)
    client.post_form("/logout")
    client.post_form("/login", {"email": admin.email, "password": "correct-horse-battery"})

    page = client.get("/domains/team.fr/invitations/").get_data(as_text=True)
    assert f"/invitations/{to_owner.id}/resend" not in page
    assert f"/invitations/{to_owner.id}/cancel" not in page
    assert f"/invitations/{to_viewer.id}/resend" in page  # theirs to manage
    for action in ("resend", "cancel"):
        answer = client.post_form(f"/domains/team.fr/invitations/{to_owner.id}/{action}")
        assert answer.status_code == 403, action
    kept = db.session.get(Invitation, to_owner.id)
    assert (kept.expires_at, kept.token_hash, kept.cancelled_at) == (expiry, link, None)
    assert (
        client.post_form(f"/domains/team.fr/invitations/{to_viewer.id}/cancel").status_code == 303
    )


def test_opening_a_link_never_spends_it(client, owner, team, make_user, run_jobs, outbox):
    """A mail scanner (or a preview) opens links with GET and HEAD: only the POST accepts."""
    invite(client, "scanned@example.org")
    make_user("reset.me@example.org")
    client.post_form("/logout")
    client.post_form("/password/forgot", {"email": "reset.me@example.org"})
    run_jobs()
    token = link_in(outbox, "scanned@example.org")
    [reset] = outbox.to("reset.me@example.org")
    reset_path = re.search(r"https?://[^/\s]+(/password/reset/\S+)", outbox.text(reset)).group(1)
    for path in (f"/invitations/{token}", reset_path):
        for _ in range(3):
            assert client.get(path).status_code == 200, path
            assert client.head(path).status_code == 200, path
    assert db.session.scalar(db.select(Invitation.accepted_at)) is None
    assert db.session.scalar(db.select(PasswordToken.used_at)) is None
    done = client.post_form(f"/invitations/{token}", {"name": "Sam", "password": "a-long-password"})
    assert done.status_code == 303

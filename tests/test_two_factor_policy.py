"""Two-factor authentication: REQUIRE_2FA, turning it off, new recovery codes, the staff's reset."""

import pytest

from tests.conftest import running_app
from tests.test_two_factor import (
    Clock,
    code_at,
    enrol,
    logged_in,
    password_step,
    secret_on,
)
from webapp.extensions import db
from webapp.models import AuditEntry, RecoveryCode, SessionRecord, User
from webapp.services import two_factor


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(two_factor, "_now", clock)
    return clock


def _app_requiring(test_config, policy):
    return running_app({**test_config, "REQUIRE_2FA": policy})


@pytest.fixture
def superusers_app(test_config, migrated):
    with _app_requiring(test_config, "superusers") as app:
        yield app


@pytest.fixture
def all_local_app(test_config, migrated):
    with _app_requiring(test_config, "all-local") as app:
        yield app


def _user(email, superuser=False):
    from tests.conftest import PASSWORD

    user = User(email=email, is_superuser=superuser)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def test_superusers_are_held_at_enrolment_until_they_have_a_second_factor(superusers_app, clock):
    staff, person = _user("staff@example.org", True), _user("person@example.org")
    client = superusers_app.test_client()
    assert password_step(client, staff).headers["Location"] == "/domains/"
    for url in ("/domains/", "/users/", "/account/sessions", "/account/password"):
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"] == "/account/2fa", url
    # htmx requests are told by HX-Redirect, which htmx follows (it ignores a 3xx's headers).
    htmx = client.get("/domains/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == "/account/2fa"
    created = client.post_form("/domains/", {"name": "held.fr", "support_email": "a@held.fr"})
    assert created.headers["Location"] == "/account/2fa"
    page = client.get("/account/2fa").get_data(as_text=True)
    assert 'data-two-factor="required"' in page
    assert client.get("/static/app.css").status_code == 200
    enrol(client, clock)
    assert client.get("/domains/").status_code == 200  # free once enrolled
    # Other accounts are not held by "superusers".
    other = superusers_app.test_client()
    password_step(other, person)
    assert other.get("/domains/").status_code == 200


def test_logging_out_is_allowed_while_held(superusers_app):
    staff = _user("staff@example.org", True)
    client = superusers_app.test_client()
    password_step(client, staff)
    assert client.post_form("/logout").headers["Location"] == "/login"
    assert not logged_in(client)


def test_all_local_holds_every_account_that_logged_in_with_a_password(all_local_app, clock):
    person = _user("person@example.org")
    client = all_local_app.test_client()
    password_step(client, person)
    assert client.get("/domains/").headers["Location"] == "/account/2fa"
    # A session that began elsewhere (single sign-on) is left to its provider's second factor.
    db.session.execute(db.update(SessionRecord).values(by_password=False))
    db.session.commit()
    assert client.get("/domains/").status_code == 200


def test_with_require_2fa_off_nobody_is_held(client, make_user, login_as, app):
    assert app.config["REQUIRE_2FA"] == "off"
    login_as(make_user("staff@example.org", superuser=True))
    assert client.get("/domains/").status_code == 200


def test_turning_it_off_needs_the_password(client, make_user, login_as, clock):
    user = make_user("jane@example.org")
    login_as(user)
    enrol(client, clock)
    wrong = client.post_form("/account/2fa/disable", {"disable-password": "not-the-password"})
    assert wrong.status_code == 422
    assert 'id="disable-password-error">This is not your current password.' in wrong.get_data(
        as_text=True
    )
    assert db.session.get(User, user.id).has_two_factor
    right = client.post_form("/account/2fa/disable", {"disable-password": "correct-horse-battery"})
    assert right.headers["Location"] == "/account/2fa"
    assert not db.session.get(User, user.id).has_two_factor
    assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    client.post_form("/logout")
    assert password_step(client, user).headers["Location"] == "/domains/"  # the password alone


def test_the_password_check_of_turning_it_off_is_throttled(client, make_user, login_as, clock, app):
    login_as(make_user("jane@example.org"))
    enrol(client, clock)
    for _n in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post_form("/account/2fa/disable", {"disable-password": "wrong-password"})
    locked = client.post_form("/account/2fa/disable", {"disable-password": "correct-horse-battery"})
    assert locked.status_code == 422
    assert "Too many wrong current passwords" in locked.get_data(as_text=True)


def test_new_recovery_codes_need_the_password_and_replace_the_old(
    client, make_user, login_as, clock, log_secrets
):
    user = make_user("jane@example.org")
    login_as(user)
    _secret, old = enrol(client, clock, log_secrets)
    wrong = client.post_form("/account/2fa/recovery-codes", {"codes-password": "nope-nope-nope"})
    assert wrong.status_code == 422 and 'id="codes-password-error"' in wrong.get_data(True)
    right = client.post_form(
        "/account/2fa/recovery-codes", {"codes-password": "correct-horse-battery"}
    )
    page = right.get_data(as_text=True)
    assert right.status_code == 200 and right.headers["Cache-Control"] == "no-store"
    assert not any(code in page for code in old)
    client.post_form("/logout")
    password_step(client, user)
    assert client.post_form("/login/2fa", {"code": old[0]}).status_code == 422


def test_a_superuser_resets_the_second_factor_of_someone_who_lost_it(
    client, make_user, login_as, clock, app
):
    person = make_user("jane@example.org")
    login_as(person)
    enrol(client, clock)
    client.post_form("/logout")

    # Not a superuser: refused, nothing changes.
    other = app.test_client()
    password_step(other, make_user("colleague@example.org"))
    assert other.post_form(f"/users/{person.id}/2fa/reset").status_code == 403
    assert db.session.get(User, person.id).has_two_factor

    staff = make_user("staff@example.org", superuser=True)
    login_as(staff)
    listing = client.get("/users/").get_data(as_text=True)
    assert f'action="/users/{person.id}/2fa/reset"' in listing
    response = client.post_form(f"/users/{person.id}/2fa/reset")
    assert response.headers["Location"] == "/users/"
    assert "is reset" in client.get("/users/").get_data(as_text=True)
    assert not db.session.get(User, person.id).has_two_factor
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.kind.like("account.%reset")))
    assert entry.domain_id is None and entry.actor_label == "staff@example.org"
    assert entry.target == "jane@example.org"
    assert str(entry.message).startswith("The two-factor authentication of jane@example.org")
    # Their own is turned off with their password, not by a reset.
    assert "Turn your own" in client.post_form(
        f"/users/{staff.id}/2fa/reset", follow_redirects=True
    ).get_data(as_text=True)
    client.post_form("/logout")
    assert password_step(client, person).headers["Location"] == "/domains/"


def test_the_account_pages_of_the_second_factor_need_the_csrf_token(
    client, make_user, login_as, clock
):
    user = make_user("jane@example.org")
    login_as(user)
    secret = secret_on(client.get("/account/2fa").get_data(as_text=True))
    assert client.post("/account/2fa", data={"code": code_at(secret, clock)}).status_code == 400
    assert not db.session.get(User, user.id).has_two_factor
    enrol(client, clock)
    for url, field in (
        ("/account/2fa/disable", "disable-password"),
        ("/account/2fa/recovery-codes", "codes-password"),
    ):
        response = client.post(url, data={field: "correct-horse-battery"})
        assert response.status_code == 400, url
    assert db.session.get(User, user.id).has_two_factor
    staff = make_user("staff@example.org", superuser=True)
    login_as(staff)
    assert client.post(f"/users/{user.id}/2fa/reset").status_code == 400
    assert db.session.get(User, user.id).has_two_factor


def test_a_bad_require_2fa_setting_is_named(monkeypatch, tmp_path):
    from webapp.config import ConfigError, from_environment

    monkeypatch.setenv("REQUIRE_2FA", "everyone")
    with pytest.raises(ConfigError, match="REQUIRE_2FA must be one of off, superusers, all-local"):
        from_environment(tmp_path)


def test_the_staff_reset_a_second_factor_from_the_command_line(
    client, make_user, login_as, clock, app
):
    """The last superuser has nobody to reset theirs from the Accounts page."""
    staff = make_user("staff@example.org", superuser=True)
    login_as(staff)
    enrol(client, clock)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reset-2fa", "Staff@Example.org"])
    assert result.exit_code == 0, result.output
    assert "is reset" in result.output
    assert not db.session.get(User, staff.id).has_two_factor
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.kind.like("account.%reset")))
    assert entry.actor_label == "the platform"
    again = runner.invoke(args=["reset-2fa", "staff@example.org"])
    assert again.exit_code == 1 and "no two-factor authentication" in again.output
    assert runner.invoke(args=["reset-2fa", "nobody@example.org"]).exit_code == 1

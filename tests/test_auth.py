import re
from datetime import datetime

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import LoginThrottle
from webapp.services.accounts import BAD_CREDENTIALS


def test_login_page_has_the_stable_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page


def test_login_then_logout(client, make_user):
    user = make_user("jane@example.org")
    response = client.post_form("/login", {"email": "Jane@Example.org ", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/domains/"
    assert client.get("/domains/").status_code == 200

    response = client.post_form("/logout")
    assert response.status_code == 303
    assert client.get("/domains/").status_code == 302
    assert user.email == "jane@example.org"


def test_logout_needs_a_post_with_csrf(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/logout").status_code == 200  # a confirmation page, still logged in
    assert client.get("/domains/").status_code == 200
    assert client.post("/logout").status_code == 400  # no token: refused
    assert client.get("/domains/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    make_user("jane@example.org")
    wrong = client.post_form("/login", {"email": "jane@example.org", "password": "nope-nope-nope"})
    unknown = client.post_form("/login", {"email": "who@example.org", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 422
    assert BAD_CREDENTIALS in wrong.get_data(as_text=True)
    assert BAD_CREDENTIALS in unknown.get_data(as_text=True)
    # The typed email is kept; the password is not echoed back.
    assert 'value="jane@example.org"' in wrong.get_data(as_text=True)
    assert "nope-nope-nope" not in wrong.get_data(as_text=True)


def test_repeated_failures_lock_the_email_for_a_while(client, make_user):
    make_user("jane@example.org")
    for _ in range(5):
        client.post_form("/login", {"email": "jane@example.org", "password": "wrong-password"})
    # Even the right password is refused while locked, with a message saying to wait.
    response = client.post_form("/login", {"email": "jane@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/domains/").status_code == 302


def test_lockout_is_the_same_for_unknown_emails(client):
    for _ in range(5):
        client.post_form("/login", {"email": "ghost@example.org", "password": "wrong-password"})
    response = client.post_form("/login", {"email": "ghost@example.org", "password": "x"})
    assert "Too many failed attempts" in response.get_data(as_text=True)


def login_count(email: str) -> int | None:
    return db.session.scalar(
        db.select(LoginThrottle.attempts).where(
            LoginThrottle.scope == "login", LoginThrottle.subject == email
        )
    )


def test_lockout_ends_after_its_time(client, make_user):
    make_user("jane@example.org")
    for _ in range(5):
        client.post_form("/login", {"email": "jane@example.org", "password": "wrong-password"})
    db.session.execute(db.update(LoginThrottle).values(expires_at=datetime(2000, 1, 1)))
    db.session.commit()
    response = client.post_form("/login", {"email": "jane@example.org", "password": PASSWORD})
    assert response.status_code == 303
    assert login_count("jane@example.org") is None


def test_a_success_resets_the_failure_count(client, make_user):
    make_user("jane@example.org")
    for _ in range(4):
        client.post_form("/login", {"email": "jane@example.org", "password": "wrong-password"})
    assert (
        client.post_form("/login", {"email": "jane@example.org", "password": PASSWORD}).status_code
        == 303
    )
    assert login_count("jane@example.org") is None


def test_deactivated_accounts_cannot_log_in(client, make_user):
    make_user("gone@example.org", active=False)
    response = client.post_form("/login", {"email": "gone@example.org", "password": PASSWORD})
    assert response.status_code == 422


def test_remember_me_sets_a_lasting_http_only_cookie(client, make_user):
    make_user("jane@example.org")
    response = client.post_form(
        "/login", {"email": "jane@example.org", "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember, cookies
    assert "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    session = [c for c in cookies if c.startswith("session=")]
    assert "HttpOnly" in session[0]


def test_without_remember_me_no_lasting_cookie(client, make_user):
    make_user("jane@example.org")
    response = client.post_form("/login", {"email": "jane@example.org", "password": PASSWORD})
    assert not [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    ]


def test_next_is_followed_only_to_local_paths(client, make_user):
    make_user("jane@example.org")
    data = {"email": "jane@example.org", "password": PASSWORD}
    ok = client.post_form("/login?next=/account/password", data)
    assert ok.headers["Location"] == "/account/password"
    for evil in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "\\\\evil.example",
    ):
        client.post_form("/logout")
        response = client.post_form(f"/login?next={evil}", data)
        assert response.headers["Location"] == "/domains/", evil


def test_anonymous_users_are_sent_to_login_with_next(client):
    response = client.get("/domains/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_change_password(client, make_user, login_as):
    user = make_user("jane@example.org")
    login_as(user)
    response = client.post_form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
    )
    assert response.status_code == 303
    assert client.get("/domains/").status_code == 200  # this session stays logged in
    client.post_form("/logout")
    old = client.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert old.status_code == 422
    new = client.post_form("/login", {"email": user.email, "password": "a-new-long-password"})
    assert new.status_code == 303


def test_change_password_logs_out_other_sessions(app, make_user, login_as, client):
    user = make_user("jane@example.org")
    other = app.test_client()
    other.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert other.get("/domains/").status_code == 200
    login_as(user)
    client.post_form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
    )
    assert other.get("/domains/").status_code == 302


def test_change_password_errors_are_next_to_their_fields(client, make_user, login_as):
    login_as(make_user())
    response = client.post_form(
        "/account/password",
        {"current_password": "wrong-one-here", "new_password": "short", "confirm": "other"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert len(re.findall(r'class="field-error"', page)) >= 2
    assert "Use at least 10 characters." in page
    response = client.post_form(
        "/account/password",
        {
            "current_password": "wrong-one-here",
            "new_password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert "This is not your current password." in response.get_data(as_text=True)


def test_passwords_are_hashed_with_a_modern_scheme(make_user, app):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    user = make_user()
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash

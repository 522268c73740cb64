"""Guessing passwords: the same work for unknown emails, and throttles that cannot be raced or
turned against a victim (logins, the current-password check, "forgot password")."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, running_app
from tests.page_tokens import without_tokens
from tests.test_concurrency import at_once, meet_after
from webapp.extensions import db
from webapp.models import LoginThrottle, PasswordToken, User
from webapp.models import user as user_module
from webapp.models.base import utcnow
from webapp.models.invitation import new_token
from webapp.services.accounts import BAD_CREDENTIALS

LOCKED = "Too many failed attempts for this email"
WRONG = "wrong-password-here"
X, Y = "198.51.100.7", "203.0.113.9"


def log_in(client, email, password, address=X):
    return client.post_form(
        "/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def text(response) -> str:
    return response.get_data(as_text=True)


# ------------------------------------------------------------- the same work either way


@pytest.mark.parametrize("method", ["scrypt:2048:8:1", "pbkdf2:sha256:3000"])
def test_the_dummy_check_uses_the_configured_method_and_cost(
    app, client, make_user, monkeypatch, method
):
    """An unknown email is checked against a hash of the configured method and cost, the same
    as a real account's, so that its answer takes as long."""
    app.config["PASSWORD_HASH_METHOD"] = method
    make_user("jane@example.org")
    checked = []
    real_check = user_module.check_password_hash

    def spy(stored_hash, password):
        checked.append(stored_hash.split("$", 1)[0])
        return real_check(stored_hash, password)

    monkeypatch.setattr(user_module, "check_password_hash", spy)

    assert log_in(client, "jane@example.org", WRONG).status_code == 422
    assert log_in(client, "nobody@example.org", WRONG).status_code == 422
    assert checked == [method, method]


# ------------------------------------------------------------------------- logins


def test_twenty_parallel_wrong_guesses_are_all_counted(app, make_user, monkeypatch):
    """Each attempt is counted before its password is checked, in one statement: of 20 at once,
    exactly the limit (5) are checked and the other 15 refused, and the count ends at 20."""
    make_user("jane@example.org")
    clients = [app.test_client() for _ in range(20)]
    # Every password check waits for the others: if they all got through, they all would meet.
    meet_after(monkeypatch, User, "check_password", parties=20)

    answers = at_once(*(lambda c=c: log_in(c, "jane@example.org", WRONG) for c in clients))

    pages = [text(a) for a in answers]
    assert [a.status_code for a in answers] == [422] * 20
    assert sum(BAD_CREDENTIALS in p for p in pages) == 5
    assert sum(LOCKED in p for p in pages) == 15
    counts = db.session.scalars(
        sa.select(LoginThrottle.attempts).where(LoginThrottle.scope == "login")
    ).all()
    assert counts == [20]


def test_failures_from_one_address_do_not_refuse_the_right_password_from_another(client, make_user):
    make_user("jane@example.org")
    for _ in range(5):
        assert BAD_CREDENTIALS in text(log_in(client, "jane@example.org", WRONG, X))

    # The attacker's address is refused, even the right password, with a message saying why...
    refused = log_in(client, "jane@example.org", PASSWORD, X)
    assert refused.status_code == 422 and LOCKED in text(refused)
    # ...while Jane, elsewhere, logs in.
    assert log_in(client, "jane@example.org", PASSWORD, Y).status_code == 303


def test_an_ipv6_client_is_counted_by_its_network(client, make_user):
    make_user("jane@example.org")
    for n in range(5):
        log_in(client, "jane@example.org", WRONG, f"2001:db8:0:1::{n + 1}")
    assert LOCKED in text(log_in(client, "jane@example.org", PASSWORD, "2001:db8:0:1::ffff"))
    assert log_in(client, "jane@example.org", PASSWORD, "2001:db8:0:2::1").status_code == 303


def test_the_address_is_the_real_client_behind_trusted_proxies(test_config, migrated):
    with running_app(dict(test_config, TRUSTED_PROXIES=1)) as app:
        user = User(email="jane@example.org")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()

        def through_proxy(password, client_address):
            return client.post_form(
                "/login",
                {"email": "jane@example.org", "password": password},
                headers={"X-Forwarded-For": client_address},
            )

        for _ in range(5):
            through_proxy(WRONG, X)
        assert LOCKED in text(through_proxy(PASSWORD, X))
        assert through_proxy(PASSWORD, Y).status_code == 303


def test_many_accounts_guessed_from_one_address_meet_the_address_limit(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 8
    make_user("jane@example.org")
    # Right passwords are no guesses: they never use up the address's allowance.
    for _ in range(10):
        assert log_in(client, "jane@example.org", PASSWORD, X).status_code == 303
        client.post_form("/logout")
    for n in range(8):
        assert BAD_CREDENTIALS in text(log_in(client, f"guess{n}@example.org", WRONG, X))

    refused = log_in(client, "jane@example.org", PASSWORD, X)
    assert refused.status_code == 422
    assert "Too many failed logins from your connection" in text(refused)
    assert log_in(client, "jane@example.org", PASSWORD, Y).status_code == 303


def test_a_password_reset_clears_the_accounts_counts(client, make_user):
    user = make_user("jane@example.org")
    for address in (X, Y):
        for _ in range(5):
            log_in(client, "jane@example.org", WRONG, address)
    assert LOCKED in text(log_in(client, "jane@example.org", PASSWORD, X))
    token, token_hash = new_token()
    db.session.add(
        PasswordToken(
            user_id=user.id,
            token_hash=token_hash,
            purpose="reset",
            expires_at=utcnow() + timedelta(hours=1),
            password_fingerprint=user.password_fingerprint,
        )
    )
    db.session.commit()

    reset = client.post_form(
        f"/password/reset/{token}",
        {"new_password": "brand-new-password", "confirm": "brand-new-password"},
    )
    assert reset.status_code == 303
    client.post_form("/logout")
    for address in (X, Y):
        assert log_in(client, "jane@example.org", "brand-new-password", address).status_code == 303
        client.post_form("/logout")


# ------------------------------------------------------------- the current password


def test_the_current_password_check_is_throttled(client, make_user, login_as):
    login_as(make_user("jane@example.org"))

    def change(current):
        return client.post_form(
            "/account/password",
            {"current_password": current, "new_password": "a-new-long-password",
             "confirm": "a-new-long-password"},
            environ_base={"REMOTE_ADDR": X},
        )  # fmt: skip

    for _ in range(5):
        assert "This is not your current password." in text(change(WRONG))
    refused = change(PASSWORD)
    assert refused.status_code == 422
    assert "Too many wrong current passwords" in text(refused)
    client.post_form("/logout")
    # Nothing was changed: the old password still opens the account.
    assert log_in(client, "jane@example.org", PASSWORD, Y).status_code == 303


# --------------------------------------------------------------------- forgot password


def forgot(client, email, address):
    return client.post_form(
        "/password/forgot", {"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def test_forgot_password_cannot_flood_a_mailbox(client, make_user, run_jobs, outbox):
    make_user("jane@example.org")
    for n in range(3):
        assert forgot(client, "Jane@Example.org", f"192.0.2.{n + 1}").status_code == 303
    known = forgot(client, "jane@example.org", "192.0.2.50")
    for n in range(3):
        forgot(client, "who@example.org", f"192.0.2.{n + 1}")
    unknown = forgot(client, "who@example.org", "192.0.2.50")

    assert known.status_code == unknown.status_code == 429
    assert "Links for this email were asked for too often" in text(known)
    # The refusal says nothing about which email has an account.
    assert without_tokens(text(known)) == without_tokens(text(unknown))
    run_jobs()
    assert len(outbox.to("jane@example.org")) == 3


def test_forgot_password_is_limited_per_address(app, client, run_jobs, outbox, make_user):
    make_user("jane@example.org")
    for n in range(10):
        assert forgot(client, f"someone{n}@example.org", X).status_code == 303
    refused = forgot(client, "jane@example.org", X)
    assert refused.status_code == 429
    assert "Too many links were asked for from your connection" in text(refused)
    assert forgot(client, "jane@example.org", Y).status_code == 303
    run_jobs()
    assert len(outbox.to("jane@example.org")) == 1


def test_the_periodic_tick_purges_counts_whose_time_is_over(client, make_user):
    from webapp.jobs.periodic import tick

    log_in(client, "old@example.org", WRONG, X)
    db.session.execute(sa.update(LoginThrottle).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    log_in(client, "new@example.org", WRONG, X)

    tick()

    kept = db.session.execute(sa.select(LoginThrottle.scope, LoginThrottle.subject)).all()
    assert sorted(kept) == [("login", "new@example.org"), ("login-address", "")]

"""Two-factor authentication: enrolment from the account page, then logins with a code."""

import html
import re

import pyotp
import pytest

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import RecoveryCode, User
from webapp.services import login_steps, two_factor

SECRET = re.compile(r"<code class=\"secret\" data-secret>([A-Z2-7 ]+)</code>")
CODES = re.compile(r"<li><code>([a-z0-9-]{14})</code></li>")


class Clock:
    """The TOTP clock of the service, moved by the tests (a code per 30-second step)."""

    def __init__(self):
        self.now = 1_900_000_000.0

    def __call__(self):
        return self.now

    def step(self, steps: int = 1):
        self.now += 30 * steps


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(two_factor, "_now", clock)
    return clock


def code_at(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def secret_on(page: str) -> str:
    match = SECRET.search(page)
    assert match, "no secret on the enrolment page"
    return match.group(1).replace(" ", "")


def enrol(client, clock, log_secrets=None) -> tuple[str, list[str]]:
    """Enrol the logged-in person: the secret read from the page, and the recovery codes."""
    secret = secret_on(client.get("/account/2fa").get_data(as_text=True))
    response = client.post_form("/account/2fa", {"code": code_at(secret, clock)})
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = CODES.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    for code in codes:
        if log_secrets is not None:
            log_secrets.remember(code)
    clock.step()  # the enrolment's code is spent: the next login needs the next one
    return secret, codes


def password_step(client, user, next_url=None, remember=False):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post_form(url, data)


def logged_in(client) -> bool:
    return client.get("/domains/").status_code == 200


@pytest.fixture
def enrolled(client, make_user, login_as, clock, log_secrets):
    """jane@example.org with an authenticator app, logged out again."""
    user = make_user("jane@example.org")
    login_as(user)
    secret, codes = enrol(client, clock, log_secrets)
    client.post_form("/logout")
    return user, secret, codes


def test_the_enrolment_page_draws_the_qr_code_itself_and_spells_the_key(
    client, make_user, login_as
):
    login_as(make_user("jane@example.org"))
    response = client.get("/account/2fa")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<svg role="img"' in page and 'class="qr-code"' in page
    assert "<img" not in page  # no image from anywhere: the secret goes to no service
    groups = SECRET.search(page).group(1).split(" ")
    assert len(groups) == 8 and all(len(group) == 4 for group in groups)
    assert response.headers["Cache-Control"] == "no-store"
    # The same key on the next visit, until it is confirmed.
    assert secret_on(client.get("/account/2fa").get_data(as_text=True)) == "".join(groups)


def test_a_wrong_first_code_is_refused_next_to_the_field(client, make_user, login_as, clock):
    user = make_user("jane@example.org")
    login_as(user)
    secret = secret_on(client.get("/account/2fa").get_data(as_text=True))
    wrong = f"{(int(code_at(secret, clock)) + 1) % 1_000_000:06d}"
    response = client.post_form("/account/2fa", {"code": wrong})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="field-error" id="code-error">This code is not right', page)
    assert secret_on(page) == secret  # the same key, to try again
    letters = client.post_form("/account/2fa", {"code": "abcdef"})
    assert letters.status_code == 422
    assert 'id="code-error">Type the 6 digits' in letters.get_data(as_text=True)
    assert db.session.get(User, user.id).has_two_factor is False


def test_the_right_first_code_turns_it_on_with_ten_codes_shown_once(
    client, make_user, login_as, clock, log_secrets
):
    user = make_user("jane@example.org")
    login_as(user)
    secret, codes = enrol(client, clock, log_secrets)
    user = db.session.get(User, user.id)
    assert user.has_two_factor
    assert secret not in user.totp_secret  # stored encrypted
    stored = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
    # Afterwards the page shows neither the key nor the codes.
    page = client.get("/account/2fa").get_data(as_text=True)
    assert secret not in page.replace(" ", "") and not any(code in page for code in codes)
    assert 'data-recovery-left="10"' in page
    assert "two-factor" in client.get("/account/password").get_data(as_text=True).lower()


def test_the_password_alone_does_not_log_in_then_the_code_does(client, enrolled, clock):
    user, secret, _codes = enrolled
    response = password_step(client, user, next_url="/domains/acme.fr/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login/2fa"
    assert not logged_in(client)
    form = client.get("/login/2fa")
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.get_data(True)
    done = client.post_form("/login/2fa", {"code": code_at(secret, clock)})
    assert done.status_code == 303
    assert done.headers["Location"] == "/domains/acme.fr/"  # next= kept
    assert logged_in(client)
    # Used up: the step is over once logged in.
    assert client.get("/login/2fa").headers["Location"].startswith("/login")


def test_next_is_still_checked_after_the_code(client, enrolled, clock):
    user, secret, _codes = enrolled
    password_step(client, user, next_url="//evil.example/")
    done = client.post_form("/login/2fa", {"code": code_at(secret, clock)})
    assert done.headers["Location"] == "/domains/"


def test_htmx_logins_are_sent_to_the_code_step_by_hx_redirect(client, enrolled, clock):
    user, secret, _codes = enrolled
    data = {"email": user.email, "password": PASSWORD}
    response = client.post_form("/login", data, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/login/2fa"
    wrong = client.post_form("/login/2fa", {"code": "000000"}, htmx=True)
    assert wrong.status_code == 422 and 'id="login-code-form"' in wrong.get_data(True)
    done = client.post_form("/login/2fa", {"code": code_at(secret, clock)}, htmx=True)
    assert done.headers["HX-Redirect"] == "/domains/"


def test_remember_me_is_kept_through_the_code_step(client, enrolled, clock):
    user, secret, _codes = enrolled
    password_step(client, user, remember=True)
    done = client.post_form("/login/2fa", {"code": code_at(secret, clock)})
    assert "remember_token=" in " ".join(done.headers.getlist("Set-Cookie"))


def test_a_recovery_code_logs_in_once(client, enrolled):
    user, _secret, codes = enrolled
    password_step(client, user)
    done = client.post_form("/login/2fa", {"code": codes[0].upper().replace("-", " ")})
    assert done.status_code == 303
    assert "9 left" in client.get("/domains/").get_data(as_text=True)  # logged in, and told
    client.post_form("/logout")
    password_step(client, user)
    again = client.post_form("/login/2fa", {"code": codes[0]})
    assert again.status_code == 422
    assert 'id="code-error">Type the 6 digits your app shows, or one of your recovery codes' in (
        again.get_data(as_text=True)
    )
    assert not logged_in(client)


def test_a_code_is_accepted_once(client, enrolled, clock, app):
    user, secret, _codes = enrolled
    code = code_at(secret, clock)
    password_step(client, user)
    assert client.post_form("/login/2fa", {"code": code}).status_code == 303
    other = app.test_client()  # someone who saw the code, with the password, elsewhere
    password_step(other, user)
    replay = other.post_form("/login/2fa", {"code": code})
    assert replay.status_code == 422
    assert "This code was used already" in replay.get_data(as_text=True)
    assert not logged_in(other)
    # An older code than the last one accepted is no better.
    clock.step(-1)
    stale = other.post_form("/login/2fa", {"code": code_at(secret, clock)})
    assert stale.status_code == 422
    clock.step(2)
    assert other.post_form("/login/2fa", {"code": code_at(secret, clock)}).status_code == 303


def test_the_code_of_the_enrolment_cannot_log_in(client, make_user, login_as, clock):
    user = make_user("jane@example.org")
    login_as(user)
    secret = secret_on(client.get("/account/2fa").get_data(as_text=True))
    code = code_at(secret, clock)
    client.post_form("/account/2fa", {"code": code})
    client.post_form("/logout")
    password_step(client, user)
    assert client.post_form("/login/2fa", {"code": code}).status_code == 422


def test_too_many_wrong_codes_lock_the_code_step(client, enrolled, clock, app):
    user, secret, _codes = enrolled
    password_step(client, user)
    for _n in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post_form("/login/2fa", {"code": "000000"}).status_code == 422
    locked = client.post_form("/login/2fa", {"code": code_at(secret, clock)})
    assert locked.status_code == 422
    assert "Too many wrong codes" in locked.get_data(as_text=True)
    assert not logged_in(client)


def test_the_code_step_expires_after_a_few_minutes(client, enrolled, clock, monkeypatch):
    user, secret, _codes = enrolled
    password_step(client, user, next_url="/domains/acme.fr/")
    later = login_steps.time.time() + login_steps.LIFETIME_SECONDS + 1
    monkeypatch.setattr(login_steps.time, "time", lambda: later)
    response = client.post_form("/login/2fa", {"code": code_at(secret, clock)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/domains/acme.fr/"
    assert not logged_in(client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The login took too long" in html.unescape(page)


def test_the_code_step_without_a_password_first_goes_to_the_login(client, make_user):
    response = client.get("/login/2fa")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.post("/login/2fa", data={"code": "123456"}).status_code in (303, 400)


def test_a_password_reset_link_still_asks_for_the_code(client, enrolled, clock):
    from webapp.models import PasswordToken
    from webapp.models.base import utcnow
    from webapp.models.invitation import new_token

    user, secret, _codes = enrolled
    token, token_hash = new_token()
    record = PasswordToken(
        user_id=user.id,
        token_hash=token_hash,
        purpose="reset",
        expires_at=utcnow().replace(year=utcnow().year + 1),
        password_fingerprint=db.session.get(User, user.id).password_fingerprint,
    )
    db.session.add(record)
    db.session.commit()
    new = "another-long-password"
    response = client.post_form(f"/password/reset/{token}", {"new_password": new, "confirm": new})
    assert response.headers["Location"] == "/login/2fa"
    assert not logged_in(client)
    assert client.post_form("/login/2fa", {"code": code_at(secret, clock)}).status_code == 303
    assert logged_in(client)


def test_the_code_step_needs_the_csrf_token(client, enrolled, clock):
    user, secret, _codes = enrolled
    password_step(client, user)
    response = client.post("/login/2fa", data={"code": code_at(secret, clock)})
    assert response.status_code == 400
    assert not logged_in(client)


def test_every_step_reads_in_french(client, make_user, login_as, clock, log_secrets):
    from tests.test_french_everywhere import FR, english_sentences, visible_text

    sentences = english_sentences()

    def english_left(response):
        page = visible_text(response.get_data(as_text=True))
        return [sentence for sentence in sentences if sentence in page]

    user = make_user("jane@example.org")
    login_as(user)
    enrolment = client.get("/account/2fa", headers=FR)
    assert "Configurer une application d’authentification" in html.unescape(enrolment.text)
    assert english_left(enrolment) == []
    secret = secret_on(enrolment.get_data(as_text=True))
    wrong = client.post_form("/account/2fa", {"code": "12"}, headers=FR)
    assert english_left(wrong) == []
    codes = client.post_form("/account/2fa", {"code": code_at(secret, clock)}, headers=FR)
    assert "Vos codes de secours" in codes.text and english_left(codes) == []
    for code in CODES.findall(codes.text):
        log_secrets.remember(code)
    assert english_left(client.get("/account/2fa", headers=FR)) == []
    client.post_form("/logout")
    clock.step()
    password_step(client, user)
    step = client.get("/login/2fa", headers=FR)
    assert "Saisissez votre code" in step.text and english_left(step) == []
    refused = client.post_form("/login/2fa", {"code": "000000"}, headers=FR)
    assert english_left(refused) == []

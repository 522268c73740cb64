"""Sessions kept on the server: ended for real by logout, a new password, a deactivation or the
person's sessions page, whatever copies of the cookies remain."""

import hashlib
import re
from datetime import timedelta

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import PasswordToken, SessionRecord
from webapp.models.base import utcnow
from webapp.services import accounts
from webapp.services.sessions import ALREADY_ENDED

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def log_in(app, user, *, remember=False, agent=FIREFOX, address="203.0.113.7"):
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    environ = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent}
    response = client.post_form("/login", data, environ_base=environ)
    assert response.status_code == 303
    client.environ_base.update(environ)
    return client


def copy_of(client, *names):
    """Another browser holding copies of `client`'s cookies, as an attacker would."""
    thief = client.application.test_client()
    for name in names:
        thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def new_password(client, new="a-new-long-password"):
    return client.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm": new},
    )


def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(app, make_user):
    browser = log_in(app, make_user())
    thief = copy_of(browser, "session")
    assert thief.get("/domains/").status_code == 200
    assert browser.post_form("/logout").status_code == 303
    response = thief.get("/domains/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_remember_me_cookie_copied_before_logout_opens_nothing_after_it(app, make_user):
    browser = log_in(app, make_user(), remember=True)
    thief = copy_of(browser, "remember_token")  # no session cookie: the lasting one alone
    assert thief.get("/domains/").status_code == 200
    browser.post_form("/logout")
    assert browser.get_cookie("remember_token") is None  # this browser forgot it
    fresh = app.test_client()
    fresh.set_cookie("remember_token", thief.get_cookie("remember_token").value)
    assert fresh.get("/domains/").status_code == 302


def test_the_database_keeps_only_a_hash_of_the_cookie_token(app, make_user):
    browser = log_in(app, make_user())
    serializer = app.session_interface.get_signing_serializer(app)
    token = serializer.loads(browser.get_cookie("session").value)["_user_id"]
    record = db.session.scalar(db.select(SessionRecord))
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for value in vars(record).values())
    assert token not in stored
    assert str(record.user_id) != token  # the cookie names no account


def test_a_new_password_ends_every_other_session_and_keeps_this_one(app, make_user):
    user = make_user()
    here = log_in(app, user)
    elsewhere = log_in(app, user, agent=IPHONE, address="198.51.100.2")
    remembered = copy_of(log_in(app, user, remember=True), "remember_token")
    assert new_password(here).status_code == 303
    assert here.get("/domains/").status_code == 200
    assert elsewhere.get("/domains/").status_code == 302
    assert remembered.get("/domains/").status_code == 302
    page = here.get("/account/sessions").get_data(as_text=True)
    assert page.count('data-session="') == 1 and 'data-session="current"' in page


def test_deactivation_ends_every_session_for_good(app, make_user, login_as, client):
    worker = make_user("worker@example.org")
    browser = log_in(app, worker)
    remembered = copy_of(log_in(app, worker, remember=True), "remember_token")
    login_as(make_user(superuser=True))
    client.post_form(f"/users/{worker.id}/deactivate")
    assert browser.get("/domains/").status_code == 302
    assert remembered.get("/domains/").status_code == 302
    client.post_form(f"/users/{worker.id}/reactivate")
    # Coming back does not bring the old sessions back: the person logs in again.
    assert browser.get("/domains/").status_code == 302
    assert remembered.get("/domains/").status_code == 302


def test_the_sessions_page_shows_device_address_last_seen_and_this_session(app, make_user):
    user = make_user()
    here = log_in(app, user)
    log_in(app, user, agent=IPHONE, address="198.51.100.2")
    log_in(app, make_user())  # someone else's session is not listed
    assert "/account/sessions" in here.get("/domains/").get_data(as_text=True)  # in the menu
    page = here.get("/account/sessions").get_data(as_text=True)
    assert page.count('data-session="') == 2
    current = re.search(r'<tr data-session="current">(.*?)</tr>', page, re.S).group(1)
    other = re.search(r'<tr data-session="other">(.*?)</tr>', page, re.S).group(1)
    assert "Firefox on Windows" in current and "203.0.113.7" in current
    assert "this session" in current
    assert "Mobile Safari on iOS" in other and "198.51.100.2" in other
    assert '<time datetime="' in other  # when it was last seen


def test_ending_another_session_logs_that_browser_out(app, make_user):
    user = make_user()
    here = log_in(app, user)
    phone = log_in(app, user, agent=IPHONE)
    [record] = db.session.scalars(
        db.select(SessionRecord).where(SessionRecord.device == "Mobile Safari on iOS")
    )
    response = here.post_form(f"/account/sessions/{record.id}/end", follow_redirects=True)
    assert "That session has ended" in response.get_data(as_text=True)
    assert phone.get("/domains/").status_code == 302
    assert here.get("/domains/").status_code == 200
    assert 'data-session="other"' not in here.get("/account/sessions").get_data(as_text=True)


def test_ending_this_session_logs_out(app, make_user):
    here = log_in(app, make_user())
    copy = copy_of(here, "session")
    record = db.session.scalar(db.select(SessionRecord))
    response = here.post_form(f"/account/sessions/{record.id}/end")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert here.get("/domains/").status_code == 302
    assert copy.get("/domains/").status_code == 302


def test_nobody_ends_someone_elses_session(app, make_user):
    victim = log_in(app, make_user())
    record = db.session.scalar(db.select(SessionRecord))
    attacker = log_in(app, make_user())
    response = attacker.post_form(f"/account/sessions/{record.id}/end", follow_redirects=True)
    assert ALREADY_ENDED in response.get_data(as_text=True)
    assert victim.get("/domains/").status_code == 200


def test_ending_a_session_takes_a_post_with_csrf_and_any_id(app, make_user):
    here = log_in(app, make_user())
    record = db.session.scalar(db.select(SessionRecord))
    assert here.post(f"/account/sessions/{record.id}/end").status_code == 400  # no token
    assert here.get(f"/account/sessions/{record.id}/end").status_code == 405
    assert here.get("/domains/").status_code == 200
    for huge in (2**63, 2**70):  # beyond what an id column holds: no such session
        assert here.post_form(f"/account/sessions/{huge}/end").status_code == 404
    assert here.get("/domains/").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute(app, make_user):
    here = log_in(app, make_user())
    record = db.session.scalar(db.select(SessionRecord))
    first_seen = record.last_seen_at
    here.get("/domains/")
    db.session.refresh(record)
    assert record.last_seen_at == first_seen  # seconds ago: no write
    record.last_seen_at = first_seen - timedelta(minutes=2)
    db.session.commit()
    here.get("/domains/", environ_base={"REMOTE_ADDR": "192.0.2.55"})
    db.session.refresh(record)
    assert record.last_seen_at > first_seen - timedelta(minutes=2)
    assert record.address == "192.0.2.55"


def test_an_expired_session_record_logs_nobody_in(app, make_user):
    here = log_in(app, make_user())
    record = db.session.scalar(db.select(SessionRecord))
    record.expires_at = record.created_at - timedelta(seconds=1)
    db.session.commit()
    assert here.get("/domains/").status_code == 302


def test_remember_me_lasts_a_month_on_the_server_too(app, make_user):
    log_in(app, make_user(), remember=True)
    log_in(app, make_user())
    remembered, plain = db.session.scalars(db.select(SessionRecord).order_by(SessionRecord.id))
    assert remembered.remember and not plain.remember
    assert remembered.expires_at - remembered.created_at == timedelta(days=30)
    assert plain.expires_at - plain.created_at == app.permanent_session_lifetime


def test_a_reset_link_ends_every_session_and_starts_a_new_one(app, make_user):
    user = make_user()
    old = log_in(app, user)
    with app.test_request_context():
        accounts.set_password_with_token(_link_for(user), "brand-new-password")
    assert old.get("/domains/").status_code == 302


def _link_for(user):
    record = PasswordToken(
        user_id=user.id,
        token_hash="f" * 64,
        expires_at=utcnow() + timedelta(hours=1),
        password_fingerprint=user.password_fingerprint,
    )
    db.session.add(record)
    db.session.commit()
    return record


def test_logging_in_again_on_the_same_browser_replaces_its_session(app, make_user):
    user = make_user()
    here = log_in(app, user)
    before = copy_of(here, "session")
    here.post_form("/login", {"email": user.email, "password": PASSWORD})
    assert before.get("/domains/").status_code == 302
    page = here.get("/account/sessions").get_data(as_text=True)
    assert page.count('data-session="') == 1

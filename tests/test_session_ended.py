"""A session that ends while a page is open: htmx requests get a 401 (app.js navigates to the
login page), never the login form swapped into the page; an ended session and an expired form
say different things. Logged-in pages are kept in no cache."""

from tests.conftest import PASSWORD
from webapp.errors import SESSION_ENDED

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/domains/acme.fr/mailboxes/"}


def logged_in_pair(app, make_user):
    """One browser, and a second one holding a copy of its cookies (the same session)."""
    user = make_user()
    browser = app.test_client()
    browser.post_form("/login", {"email": user.email, "password": PASSWORD})
    tab = app.test_client()
    tab.set_cookie("session", browser.get_cookie("session").value)
    return user, browser, tab


def test_an_htmx_poll_after_the_session_ended_gets_a_401_not_the_login_form(
    app, make_user, make_domain
):
    user, browser, tab = logged_in_pair(app, make_user)
    make_domain("acme.fr", owner=user)
    assert tab.get("/domains/acme.fr/mailboxes/", headers=HTMX).status_code == 200
    browser.post_form("/logout")  # logged out elsewhere

    for url in ("/domains/acme.fr/mailboxes/", "/domains/acme.fr/mailboxes/suggest?first_name=A"):
        response = tab.get(url, headers=HTMX)
        assert response.status_code == 401, url
        assert response.headers["X-Login-URL"] == "/login"
        assert 'name="password"' not in response.get_data(as_text=True)
    # The login page the script goes to says why, once, however many polls were refused.
    page = tab.get("/login?next=/domains/acme.fr/mailboxes/").get_data(as_text=True)
    assert page.count(SESSION_ENDED) == 1


def test_a_plain_request_after_the_session_ended_goes_to_the_login_page_saying_so(app, make_user):
    _user, browser, tab = logged_in_pair(app, make_user)
    browser.post_form("/logout")
    response = tab.get("/domains/?q=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fdomains%2F%3Fq%3Dx"
    assert SESSION_ENDED in tab.get("/login").get_data(as_text=True)
    # Somebody who never logged in is asked to, not told that a session ended.
    stranger = app.test_client()
    stranger.get("/domains/")
    assert SESSION_ENDED not in stranger.get("/login").get_data(as_text=True)


def test_an_htmx_form_posted_without_a_session_is_not_called_expired(app, make_user):
    _user, browser, tab = logged_in_pair(app, make_user)
    token = browser.csrf_token()
    browser.post_form("/logout")
    data = {"csrf_token": token, "name": "new.fr", "support_email": "s@new.fr"}
    # The session ended (the cookie still holds the form's token): a 401.
    assert tab.post("/domains/", data=data, headers=HTMX).status_code == 401
    # The session cookie itself is gone (expired): the form's token cannot be checked, but the
    # cause is still the ended session, not the form.
    gone = app.test_client()
    response = gone.post("/domains/", data=data, headers=HTMX)
    assert response.status_code == 401
    assert "expired" not in response.get_data(as_text=True)


def test_an_expired_form_of_a_live_session_still_says_the_form_expired(app, make_user):
    _user, browser, _tab = logged_in_pair(app, make_user)
    data = {"csrf_token": "stale", "name": "new.fr", "support_email": "s@new.fr"}
    response = browser.post("/domains/", data=data, headers=HTMX)
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    plain = browser.post("/domains/", data=data)
    assert plain.status_code == 400 and "The form has expired" in plain.get_data(as_text=True)
    assert browser.get("/domains/").status_code == 200  # still logged in


def test_logged_in_pages_are_not_stored_in_any_cache(app, make_user, make_domain, client):
    user = make_user()
    make_domain("acme.fr", owner=user)
    client.post_form("/login", {"email": user.email, "password": PASSWORD})
    for url in ("/domains/", "/domains/acme.fr/", "/domains/acme.fr/zone.txt", "/account/sessions"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    assert client.get("/domains/", headers=HTMX).headers.get("Cache-Control") == "no-store"
    # Static files are cached (tests/test_static_files.py); pages never, logged in or not.
    assert "no-store" not in client.get("/static/app.js").headers.get("Cache-Control", "")
    client.post_form("/logout")
    assert client.get("/login").headers.get("Cache-Control") == "no-store"

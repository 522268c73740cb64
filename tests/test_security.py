"""Security properties that hold for every route: CSRF on every change, escaping, headers."""

import pytest

from tests.test_route_guards import DOMAIN, SAMPLE_VALUES, actors  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import DomainStatus, Mailbox


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint != "static":
            yield rule


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_every_state_change_refuses_a_missing_csrf_token(app, actors, htmx):  # noqa: F811
    client = app.test_client()
    client.post_form(
        "/login", {"email": actors["superuser"].email, "password": "correct-horse-battery"}
    )
    headers = {"HX-Request": "true"} if htmx else {}
    checked = 0
    for rule in _post_routes(app):
        if rule.endpoint == "auth.login":
            continue  # logging in again would log the superuser out of this walk
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{a: SAMPLE_VALUES[a] for a in rule.arguments})
        response = client.post(url, data={"role": "owner", "status": "disabled"}, headers=headers)
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked += 1
    assert checked >= 20
    # Nothing changed: the superuser is still logged in and the domain still enabled.
    assert client.get(f"/domains/{DOMAIN}/").status_code == 200
    assert 'data-status="enabled"' in client.get(f"/domains/{DOMAIN}/").get_data(as_text=True)


def test_a_wrong_csrf_token_is_refused_too(client, make_user, login_as):
    login_as(make_user())
    response = client.post(
        "/domains/", data={"name": "x.fr", "support_email": "a@x.fr", "csrf_token": "forged"}
    )
    assert response.status_code == 400


def test_html_typed_by_users_is_shown_as_text(client, make_user, make_domain, login_as):
    owner = make_user("owner@example.org", name='<img src=x onerror="alert(1)">')
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    db.session.add(
        Mailbox(domain_id=domain.id, local_part="x", first_name="<script>alert(1)</script>",
                last_name="<b>bold</b>", name_key="x", secondary_email="a@b.org")
    )  # fmt: skip
    db.session.commit()
    login_as(owner)
    for url in ("/domains/acme.fr/", "/domains/acme.fr/mailboxes/", "/domains/acme.fr/mailboxes/x/",
                "/domains/acme.fr/accesses/"):  # fmt: skip
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page, url
        assert "<img src=x" not in page, url
    assert "&lt;script&gt;" in client.get("/domains/acme.fr/mailboxes/").get_data(as_text=True)


def test_cookies_are_http_only_same_site_and_secure_over_https(app, make_user):
    make_user("jane@example.org")
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": "jane@example.org", "password": "correct-horse-battery", "remember": "y",
              "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # CSRF checks it over HTTPS
    )  # fmt: skip
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") for c in cookies)
    for cookie in cookies:
        if cookie.startswith(("session=", "remember_token=")):
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_security_headers_on_every_page(app, actors):  # noqa: F811
    client = app.test_client()
    staff = {"email": actors["superuser"].email, "password": "correct-horse-battery"}
    assert client.post_form("/login", staff).status_code == 303
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{a: SAMPLE_VALUES[a] for a in rule.arguments})
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        script_src = next(
            p for p in csp.split(";") if p.strip().startswith(("script-src", "default-src"))
        )
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in csp, url
        assert "frame-ancestors 'none'" in csp, url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "same-origin", url
        seen += 1
    assert seen >= 15

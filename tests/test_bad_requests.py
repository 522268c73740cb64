"""Requests no browser sends, each of which once answered 500 (or nothing at all): a file part
named like a text field, ids beyond what a column holds, a Host header that is not a host
name, a `next=` outside Latin-1; and the limits around them (body size, redirects)."""

import io
import json

import pytest

from tests.test_route_guards import DOMAIN, SAMPLE_VALUES, actors  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import Domain

PASSWORD = "correct-horse-battery"
# Every field name of every form of the site, and a few that only some views read.
FIELD_NAMES = (
    "name", "support_email", "email", "password", "remember", "role", "status", "first_name",
    "last_name", "local_part", "secondary_email", "destination", "confirm", "current_password",
    "new_password", "new_password_confirm", "confirm_password", "q", "page", "next",
)  # fmt: skip
HUGE_IDS = ("2147483648", str(2**63), str(2**64), "1" + "0" * 30, "9" * 5000)
BAD_HOSTS = ("a" * 64 + ".example", "a..b", ".")  # refused by Werkzeug: a 400
ODD_HOSTS = (
    "[::1", "exa mple.fr", "a/b", "host:notaport", "",
    "例え.jp".encode().decode("latin-1"),  # what a WSGI server makes of UTF-8 bytes
)  # fmt: skip


def _urls(app, rules):
    for rule in rules:
        with app.test_request_context():
            yield rule, app.url_for(rule.endpoint, **{a: SAMPLE_VALUES[a] for a in rule.arguments})


def _post_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint not in ("static", "auth.logout")
    ]


def _as_superuser(app, actors):  # noqa: F811
    client = app.test_client()
    answer = client.post_form("/login", {"email": actors["superuser"].email, "password": PASSWORD})
    assert answer.status_code == 303
    return client


def _files(names):
    return {name: (io.BytesIO(b"GIF89a not text"), f"{name}.gif") for name in names}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_file_parts_named_like_fields_never_fail_a_form(app, actors, htmx):  # noqa: F811
    """Every POST route, each field a file: refused, never a 500."""
    client = _as_superuser(app, actors)
    token = client.csrf_token()
    headers = {"HX-Request": "true"} if htmx else {}
    checked = 0
    for rule, url in _urls(app, _post_rules(app)):
        data = {"csrf_token": token, **_files(FIELD_NAMES)}
        answer = client.post(url, data=data, headers=headers, content_type="multipart/form-data")
        assert answer.status_code < 500, (rule.rule, answer.status_code)
        checked += 1
    assert checked >= 20
    # Anonymous forms too.
    anonymous = app.test_client()
    for url in ("/login", "/password/forgot", "/invitations/nope", "/password/reset/nope"):
        data = {"csrf_token": anonymous.csrf_token(), **_files(FIELD_NAMES)}
        answer = anonymous.post(url, data=data, headers=headers)
        assert answer.status_code < 500, (url, answer.status_code)


def test_a_file_in_a_text_field_is_refused_next_to_the_field(client, make_user, login_as):
    login_as(make_user())
    answer = client.post(
        "/domains/",
        data={"csrf_token": client.csrf_token(), "support_email": "support@acme.fr",
              **_files(["name"])},
    )  # fmt: skip
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="name-error"' in page and "This field takes text, not a file." in page
    assert 'value="support@acme.fr"' in page  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count()).select_from(Domain)) == 0


@pytest.mark.parametrize(
    "body",
    [{"name": 5, "support_email": {"a": 1}}, {"name": ["x.fr", 3]}, [1, 2], "acme.fr", None],
    ids=["numbers-and-objects", "mixed-list", "list", "string", "null"],
)
def test_a_json_body_never_fails_a_form(client, make_user, login_as, body):
    login_as(make_user())
    answer = client.post(
        "/domains/", data=json.dumps(body), content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token()},
    )  # fmt: skip
    assert answer.status_code == 422, answer.status_code
    assert db.session.scalar(db.select(db.func.count()).select_from(Domain)) == 0


def test_ids_beyond_the_columns_are_not_found(app, actors):  # noqa: F811
    client = _as_superuser(app, actors)
    token = client.csrf_token()
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    with_ids = [rule for rule in rules if any(arg.endswith("_id") for arg in rule.arguments)]
    assert {rule.endpoint.split(".")[0] for rule in with_ids} >= {"accesses", "users"}
    for rule in with_ids:
        for huge in HUGE_IDS:
            values = {a: huge if a.endswith("_id") else SAMPLE_VALUES[a] for a in rule.arguments}
            url = rule.rule
            for name, value in values.items():
                url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
            method = "POST" if "POST" in rule.methods else "GET"
            answer = client.open(url, method=method, data={"csrf_token": token})
            assert answer.status_code == 404, (url[:80], answer.status_code)


@pytest.mark.parametrize("host", BAD_HOSTS + ODD_HOSTS)
def test_a_host_header_that_is_no_host_gets_a_page(app, host):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a crash would be a 500
    client = app.test_client()
    for method, url, headers in (
        ("GET", "/login", {}),
        ("GET", "/domains/", {"HX-Request": "true"}),
        ("POST", "/login", {}),
        ("GET", "/no-such-page", {}),
    ):
        answer = client.open(url, method=method, headers={"Host": host, **headers})
        if host in BAD_HOSTS:
            assert answer.status_code == 400, (host, url, answer.status_code)
            assert "Bad request" in answer.get_data(as_text=True)
        else:
            assert answer.status_code in (200, 302, 400, 401, 404, 422), (host, url)


def test_an_error_page_whose_layout_fails_still_answers(app, client, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args, **kwargs):
        raise RuntimeError("the layout cannot render")

    monkeypatch.setattr("webapp.errors.render_template", broken)
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and "Not found" in answer.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_next_outside_latin_1_is_percent_encoded(client, make_user, htmx):
    make_user("jane@example.org")
    answer = client.post_form(
        "/login?next=/〱evil.example", {"email": "jane@example.org", "password": PASSWORD},
        htmx=htmx,
    )  # fmt: skip
    header = answer.headers["HX-Redirect" if htmx else "Location"]
    assert header == "/%E3%80%B1evil.example"
    for name, value in answer.headers.items():
        value.encode("latin-1"), name  # what a WSGI server must be able to send


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\\evil.example", "https://evil.example", "/\t/evil.example",
     "／／evil.example", "\u3000//evil.example", "http:évil.example", "//évil.example",
     "/%2F/evil.example", " //evil.example"],
)  # fmt: skip
def test_next_still_never_leaves_the_site(client, make_user, target):
    make_user("jane@example.org")
    for htmx in (False, True):
        client.post_form("/logout")
        answer = client.post_form(
            "/login", {"email": "jane@example.org", "password": PASSWORD}, htmx=htmx,
            query_string={"next": target},
        )  # fmt: skip
        location = answer.headers["HX-Redirect" if htmx else "Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        assert "evil.example" not in location or location.startswith("/%"), location


def test_the_trailing_slash_redirect_ignores_the_host_header(app, client):
    answer = client.get("/domains?q=x", headers={"Host": "evil.example"})
    assert answer.status_code == 308
    assert answer.headers["Location"] == "http://mail-domains.test/domains/?q=x"
    assert "evil.example" not in answer.get_data(as_text=True)


def test_bodies_above_the_limit_get_a_413_page(app, client, make_user, login_as):
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    login_as(make_user())
    token = client.csrf_token()
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    big_file = {"csrf_token": token, "name": "x.fr", "file": (io.BytesIO(b"x" * 200_000), "a.csv")}
    answer = client.post("/domains/", data=big_file)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 413 and "0.1 MB in all" in page
    text = client.post_form("/domains/", {"name": "x" * 600_000}, htmx=True)
    assert text.status_code == 413 and "0.5 MB of typed text" in text.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Domain)) == 0

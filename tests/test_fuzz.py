"""Random text in every field of every form of this issue: never a 500, never a stored bad row.
Then bodies, ids, Host headers and paths no browser sends, on every form route."""

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.extensions import db
from webapp.models import Domain
from webapp.validators import InvalidValue, normalise_domain_name

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
text = st.text(max_size=300) | st.from_regex(r"[a-zA-Z0-9.\-_:/@ ]{0,80}", fullmatch=True)


@FUZZ
@given(name=text, support_email=text, htmx=st.booleans())
def test_domain_form_never_fails(client, make_user, login_as, name, support_email, htmx):
    if not getattr(client, "_fuzz_logged_in", False):
        login_as(make_user(superuser=True))
        client._fuzz_logged_in = True
    response = client.post_form(
        "/domains/", {"name": name, "support_email": support_email}, htmx=htmx
    )
    assert response.status_code in (200, 303, 422), response.status_code
    for stored in db.session.scalars(db.select(Domain.name)):
        assert normalise_domain_name(stored) == stored


@FUZZ
@given(email=text, password=text)
def test_login_form_never_fails(client, email, password):
    response = client.post_form("/login", {"email": email, "password": password})
    assert response.status_code == 422


@FUZZ
@given(query=text, page=text)
def test_domain_search_never_fails(client, make_user, login_as, query, page):
    if not getattr(client, "_fuzz_logged_in", False):
        login_as(make_user())
        client._fuzz_logged_in = True
    response = client.get("/domains/", query_string={"q": query, "page": page})
    assert response.status_code == 200


@FUZZ
@given(name=st.text(max_size=300))
def test_the_validator_either_accepts_a_valid_name_or_says_why(name):
    try:
        result = normalise_domain_name(name)
    except InvalidValue as exc:
        assert str(exc)
    else:
        assert result == result.lower() and len(result) <= 253
        assert all(0 < len(label) <= 63 for label in result.split("."))


# ------------------------------------------------- bodies, ids, hosts and paths no browser sends

FIELDS = ("name", "support_email", "email", "password", "role", "status", "first_name",
          "last_name", "local_part", "secondary_email", "destination", "confirm", "q", "next",
          "current_password", "new_password", "remember", "csrf_token")  # fmt: skip
WIDE = settings(FUZZ, max_examples=60)
latin_1 = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n\x00"), max_size=80)
# Host names IDNA refuses (Werkzeug answers 400 before Flask can build URLs), and random text.
hosts = st.sampled_from(["a" * 64 + ".fr", "a..b", ".", "x." * 130]) | latin_1
ids = st.integers(min_value=0, max_value=2**70).map(str) | st.sampled_from(["0", "1", "9" * 30])
values = text | st.binary(max_size=50).map(lambda b: b.decode("latin-1"))


def _fuzz_site(client, make_user, login_as):
    if not getattr(client, "_fuzz_site", None):
        staff = make_user(superuser=True)
        db.session.add(Domain(name="fuzz.fr", support_email="s@fuzz.fr"))
        db.session.commit()
        login_as(staff)
        client._fuzz_site = client.csrf_token()
    return client._fuzz_site


def _post_urls(app, an_id: str) -> list[str]:
    sample = {"domain": "fuzz.fr", "local_part": "jane", "token": "x" * 43, "message_id": "1-a"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("static", "auth.logout"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", an_id).replace(f"<{arg}>", sample.get(arg, an_id))
        urls.append(url)
    return sorted(urls)


@WIDE
@given(
    route=st.integers(min_value=0),
    an_id=ids,
    kind=st.sampled_from(["form", "multipart", "json"]),
    fields=st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
    as_files=st.sets(st.sampled_from(FIELDS), max_size=4),
    htmx=st.booleans(),
)
def test_any_body_on_any_form_route_never_fails(
    app, client, make_user, login_as, route, an_id, kind, fields, as_files, htmx
):
    token = _fuzz_site(client, make_user, login_as)
    urls = _post_urls(app, an_id)
    url = urls[route % len(urls)]
    headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
    if kind == "json":
        answer = client.post(url, data=json.dumps(fields), content_type="application/json",
                             headers=headers)  # fmt: skip
    else:
        data = {"csrf_token": token, **fields}
        if kind == "multipart":
            data.update({name: (io.BytesIO(b"\x89PNG"), "x.png") for name in as_files})
        answer = client.post(url, data=data, headers=headers)
    assert answer.status_code < 500, (url, kind, answer.status_code)


@WIDE
@given(host=hosts, prefix=st.sampled_from(["/", "/domains/", "/invitations/",
       "/password/reset/", "/users/", "/domains/fuzz.fr/mailboxes/", "/login?next=/"]),
       rest=st.text(max_size=60), htmx=st.booleans())  # fmt: skip
def test_any_host_and_path_never_fails(app, host, prefix, rest, htmx):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as the 500 it would be
    rest = "".join(ch for ch in rest if ch not in "?#\r\n\x00") if "?" not in prefix else rest
    headers = {"Host": host, **({"HX-Request": "true"} if htmx else {})}
    answer = app.test_client().get(prefix + rest, headers=headers)
    assert answer.status_code < 500, (host, prefix + rest, answer.status_code)
    for value in answer.headers.values():
        value.encode("latin-1")  # every header can leave the server

"""The dimail client's transport: answers that are not what a route gives, network failures and
timeouts, redirects, the calls counter and the request log (against `responses`).
"""

import logging

import pytest
import requests

from tests.dimail.client_support import (
    ALIAS,
    ALLOWS,
    BASE,
    BASIC,
    CHECK,
    CHECK_URL,
    DOMAIN,
    GENERATED,
    MBOX,
    NEW_MAILBOX,
    PASSWORD,
    SPEC,
    TOKEN,
    USER,
    make_token,
    route_calls,
    sent_json,
    token_route,
)
from webapp.dimail.client import (
    DimailAuthError,
    DimailBadAnswer,
    DimailClient,
    DimailConfigError,
    DimailConflict,
    DimailError,
    DimailNoGrant,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)

# --------------------------------------------------------------------------- errors


def test_rejected_family():
    assert issubclass(DimailNotFound, DimailRejected)
    assert issubclass(DimailConflict, DimailRejected)
    for cls in (DimailUnavailable, DimailRejected, DimailNotSupported, DimailAuthError):
        assert issubclass(cls, DimailError)
    assert not issubclass(DimailNotSupported, DimailRejected)


@pytest.mark.parametrize(
    "status, kwargs, cls, detail",
    [
        (422, {"json": {"detail": "Not yet implemented"}}, DimailRejected, "Not yet implemented"),
        (412, {"json": {"detail": "only destination"}}, DimailRejected, "only destination"),
        (429, {"body": "slow down"}, DimailUnavailable, "slow down"),
        (500, {"json": {"unexpected": 1}}, DimailUnavailable, '{"unexpected": 1}'),
        (502, {"body": "<html> <b>Bad</b>\n gateway </html>"}, DimailUnavailable, None),
        (200, {"body": "<html>maintenance</html>"}, DimailBadAnswer, None),
        (200, {"json": {"name": "example.fr"}}, DimailBadAnswer, None),
        (200, {"json": ["example.fr"]}, DimailBadAnswer, None),
        (200, {"body": ""}, DimailBadAnswer, None),
    ],
    ids=[
        "422-text",
        "412",
        "429",
        "500-json-no-detail",
        "502-html",
        "200-not-json",
        "200-object-for-a-list",
        "200-list-of-strings",
        "200-empty",
    ],
)
def test_other_answers(rsps, client, status, kwargs, cls, detail):
    rsps.get(f"{BASE}/domains/", status=status, **kwargs)
    with pytest.raises(cls) as info:
        client.list_domains()
    assert type(info.value) is cls
    if detail is not None:
        assert info.value.detail == detail
    if cls is DimailBadAnswer:
        assert "not a JSON list as expected" in info.value.detail
    assert len(rsps.calls) == 1


def test_long_text_body_is_cut(rsps, client):
    rsps.get(f"{BASE}/domains/", status=500, body="x" * 5000)
    with pytest.raises(DimailUnavailable) as info:
        client.list_domains()
    assert len(info.value.detail) <= 200


def test_bad_answer_is_permanent():
    assert issubclass(DimailBadAnswer, DimailRejected)
    assert issubclass(DimailNoGrant, DimailRejected)
    assert not issubclass(DimailConfigError, DimailUnavailable)


# --------------------------------------------------------------------------- transport errors


def test_token_fetch_timeout(rsps, client):
    rsps.get(f"{BASE}/token/", body=requests.exceptions.ReadTimeout())
    with pytest.raises(DimailUnavailable, match="timed out after 10 s") as info:
        client.get_domain("example.fr")
    assert info.value.path == "/token/"
    assert client.calls == 1


@pytest.mark.parametrize(
    "exc, cls",
    [
        (requests.exceptions.InvalidURL(), DimailConfigError),
        (requests.exceptions.InvalidHeader(), DimailConfigError),
        (ValueError("bad"), DimailConfigError),
        (requests.exceptions.ContentDecodingError(), DimailBadAnswer),
        (requests.exceptions.RetryError(), DimailUnavailable),
        (requests.exceptions.RequestException(), DimailUnavailable),
    ],
    ids=["invalid-url", "invalid-header", "value-error", "decoding", "retry", "other"],
)
def test_unplanned_request_failures_are_named(rsps, client, exc, cls):
    rsps.get(f"{BASE}/domains/", body=exc)
    with pytest.raises(cls) as info:
        client.list_domains()
    assert type(info.value) is cls
    assert (info.value.method, info.value.path) == ("GET", "/domains/")


def test_timeouts_are_configurable(rsps):
    client = DimailClient(BASE, USER, PASSWORD, timeout=3, connect_timeout=1.5)
    rsps.get(f"{BASE}/domains/", json=[])
    client.list_domains()
    assert rsps.calls[0].request.req_kwargs["timeout"] == (1.5, 3.0)
    rsps.get(f"{BASE}/domains/", body=requests.exceptions.ReadTimeout())
    with pytest.raises(DimailUnavailable, match="timed out after 3 s"):
        client.list_domains()


# --------------------------------------------------------------------------- calls counter


def test_calls_for_a_new_domain_and_first_mailbox(rsps, client):
    token_route(rsps)
    rsps.post(f"{BASE}/domains/", status=201, json=DOMAIN)
    rsps.post(ALLOWS, status=201, json={"user": USER, "domain": "example.fr"})
    rsps.get(f"{BASE}/domains/example.fr/check", json=CHECK)
    rsps.get(f"{BASE}/domains/example.fr/spec/", json=SPEC)
    rsps.post(f"{BASE}{MBOX}", status=201, json=NEW_MAILBOX)
    client.create_domain("example.fr")
    client.check_domain("example.fr")
    client.domain_spec("example.fr")
    client.create_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe")
    # Four Basic calls (with the self-grant), one token fetch, one Bearer call.
    assert client.calls == 6 == len(rsps.calls)


def test_calls_counts_failed_attempts(rsps, client):
    rsps.get(f"{BASE}/domains/", body=requests.exceptions.ConnectionError())
    for _ in range(3):
        with pytest.raises(DimailUnavailable):
            client.list_domains()
    assert client.calls == 3


# --------------------------------------------------------------------------- logging


def test_logs_one_line_per_request_and_no_secret(rsps, client, caplog):
    caplog.set_level(logging.INFO, logger="webapp.dimail")
    stale, fresh = make_token(), make_token(sub="fresh")
    token_route(rsps, stale, fresh)
    rsps.post(f"{BASE}/domains/", status=201, json=DOMAIN)
    rsps.post(ALLOWS, status=201, json={"user": USER, "domain": "example.fr"})
    rsps.post(f"{BASE}{MBOX}", status=401, json={"detail": "expired"})
    rsps.post(f"{BASE}{MBOX}", status=201, json=NEW_MAILBOX)
    rsps.post(
        f"{BASE}{MBOX}/reset_password/",
        json={"email": "jane.doe@example.fr", "password": GENERATED},
    )
    rsps.get(f"{BASE}/domains/", body=requests.exceptions.ReadTimeout())

    client.create_domain("example.fr")
    client.create_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe")
    client.reset_password("example.fr", "jane.doe")
    with pytest.raises(DimailUnavailable):
        client.list_domains()

    records = [r for r in caplog.records if r.name == "webapp.dimail"]
    assert len(records) == client.calls == 8
    assert all(r.levelno == logging.INFO for r in records)
    lines = [r.getMessage() for r in records]
    assert lines[0].startswith("dimail POST /domains/ -> 201 in ")
    assert lines[0].endswith(" ms")
    assert any(line.startswith("dimail GET /token/ -> 200") for line in lines)
    assert any(f"POST {MBOX} -> 401" in line for line in lines)
    assert "dimail GET /domains/ -> ReadTimeout (timed out after 10 s)" in lines[-1]
    text = caplog.text
    for secret in (PASSWORD, BASIC.split()[1], stale, fresh, GENERATED, "Bearer"):
        assert secret not in text


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [307, 308])
def test_same_host_redirect_followed_once_with_method_body_and_credentials(
    rsps, client, caplog, status
):
    # What a FastAPI server answers a path whose trailing slash is wrong.
    caplog.set_level(logging.INFO, logger="webapp.dimail")
    token_route(rsps)
    rsps.post(f"{BASE}{MBOX}", status=status, headers={"Location": f"{BASE}{MBOX}/"})
    rsps.post(f"{BASE}{MBOX}/", status=201, json=NEW_MAILBOX)

    assert client.create_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe") == NEW_MAILBOX

    first, second = route_calls(rsps)
    assert (second.request.method, second.request.url) == ("POST", f"{BASE}{MBOX}/")
    assert (
        sent_json(second)
        == sent_json(first)
        == {
            "givenName": "Jane",
            "surName": "Doe",
            "displayName": "Jane Doe",
        }
    )
    assert second.request.headers["Authorization"] == f"Bearer {TOKEN}"
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert f"POST {MBOX} -> {status} to {MBOX}/" in message
    assert "correct this path in ROUTES" in message
    assert TOKEN not in caplog.text and PASSWORD not in caplog.text


def test_redirect_of_a_basic_route_keeps_basic_credentials(rsps, client):
    # A relative Location, as some servers send it.
    rsps.get(CHECK_URL, status=307, headers={"Location": "/domains/example.fr/check/"})
    rsps.get(CHECK_URL + "/", json=CHECK)
    assert client.check_domain("example.fr") == CHECK
    assert [c.request.headers["Authorization"] for c in rsps.calls] == [BASIC, BASIC]
    assert client.calls == 2


def test_redirect_location_with_query_is_not_doubled(rsps, client):
    token_route(rsps)
    url = f"{BASE}/domains/example.fr/aliases"
    rsps.get(
        f"{BASE}/domains/example.fr/aliases/",
        status=307,
        headers={"Location": f"{url}?user_name=contact"},
    )
    rsps.get(url, json=[ALIAS])
    assert client.list_aliases("example.fr", "contact") == [ALIAS]
    assert route_calls(rsps)[1].request.url == f"{url}?user_name=contact"


@pytest.mark.parametrize(
    "status, headers, words",
    [
        (307, {"Location": "http://elsewhere.test/domains/"}, "another server"),
        (307, {"Location": "https://dimail.test/domains/"}, "another server"),
        (308, {"Location": "http://dimail.test:8080/domains/"}, "another server"),
        (307, {}, "no address to go to"),
        (301, {"Location": f"{BASE}/domains/"}, "not followed"),
        (302, {"Location": f"{BASE}/domains/"}, "not followed"),
        (303, {"Location": f"{BASE}/domains/"}, "not followed"),
        (300, {}, "no address to go to"),
    ],
    ids=["other-host", "other-scheme", "other-port", "no-location", "301", "302", "303", "300"],
)
def test_redirects_not_followed_are_bad_answers(rsps, client, status, headers, words):
    rsps.get(f"{BASE}/domains/", status=status, headers=headers)
    with pytest.raises(DimailBadAnswer) as info:
        client.list_domains()
    assert words in info.value.detail
    assert (info.value.status, info.value.path) == (status, "/domains/")
    assert len(rsps.calls) == 1


def test_second_redirect_is_a_bad_answer(rsps, client):
    rsps.get(f"{BASE}/domains/", status=307, headers={"Location": f"{BASE}/domains"})
    rsps.get(f"{BASE}/domains", status=307, headers={"Location": f"{BASE}/domains/"})
    with pytest.raises(DimailBadAnswer, match="redirected twice"):
        client.list_domains()
    assert len(rsps.calls) == 2

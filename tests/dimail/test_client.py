"""Unit tests of the dimail client against `responses` (no network, no sleeping)."""

import base64
import json
import logging
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import requests
import responses

from webapp.dimail.client import (
    ROUTES,
    AddressProbe,
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

BASE = "http://dimail.test"
USER = "people"
PASSWORD = "app-Secret-pw-42"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
JWT_KEY = "test-signing-key-long-enough-for-hs256"
GENERATED = "Generated-Mailbox-Pw-9"


def make_token(exp_in: float | None = 3600, sub: str = USER) -> str:
    claims: dict[str, Any] = {"sub": sub}
    if exp_in is not None:
        claims["exp"] = int(time.time() + exp_in)
    return jwt.encode(claims, JWT_KEY, algorithm="HS256")


TOKEN = make_token()


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client():
    return DimailClient(BASE, USER, PASSWORD, timeout=10)


def token_route(rsps, *tokens: str):
    """GET /token/ answering the given tokens in turn (the last one repeats)."""
    for tok in tokens or (TOKEN,):
        rsps.get(f"{BASE}/token/", json={"access_token": tok, "token_type": "bearer"})


ALLOWS = f"{BASE}/allows/"
# What the client asks to learn whether PATCH `active` works (current servers have /v2/).
ACTIVE_PROBE = f"{BASE}/v2/domains/can-set-active.invalid/mailboxes/"
# Calls the client makes around the one under test: the token, its self-grant, the probe.
SIDE_URLS = (f"{BASE}/token/", ALLOWS, ACTIVE_PROBE)


def token_calls(rsps) -> int:
    return sum(1 for c in rsps.calls if c.request.url == f"{BASE}/token/")


def calls_to(rsps, url: str):
    return [c for c in rsps.calls if c.request.url == url]


def route_calls(rsps):
    return [c for c in rsps.calls if c.request.url not in SIDE_URLS]


def active_probe_route(rsps, current: bool = True):
    detail = "Domain not found" if current else "Not Found"
    rsps.get(ACTIVE_PROBE, status=404, json={"detail": detail})


def sent_json(call):
    body = call.request.body
    return None if body is None else json.loads(body)


# --------------------------------------------------------------------------- the method table

RAISE = object()  # a 404 raises as the mapping says (no method-specific meaning)

DOMAIN = {
    "name": "example.fr",
    "features": ["webmail", "mailbox", "alias"],
    "mailbox_domain": None,
    "webmail_domain": None,
    "imap_domains": None,
    "smtp_domains": None,
    "context_name": "example.fr",
}
CHECK = {
    "name": "example.fr",
    "state": "broken",
    "valid": False,
    "mx": {"ok": False, "internal": False, "errors": [{"code": "wrong_mx", "detail": "MX"}]},
    "postfix": {"ok": True, "internal": True, "errors": []},
}
SPEC = [
    {"target": "", "type": "MX", "value": "mx.dimail.test."},
    {"target": "dimail._domainkey", "type": "TXT", "value": "v=DKIM1; k=rsa; p=AAAA"},
]
MAILBOX = {
    "type": "mailbox",
    "status": "ok",
    "email": "jane.doe@example.fr",
    "givenName": "Jane",
    "surName": "Doe",
    "displayName": "Jane Doe",
}
MAILBOX_V2 = {
    "type": "mailbox",
    "active": "yes",
    "email": "jane.doe@example.fr",
    "features": ["ox"],
    "extras": {"ox": {"given_name": "Jane", "sur_name": "Doe", "display_name": "Jane Doe"}},
}
NEW_MAILBOX = {"email": "jane.doe@example.fr", "password": GENERATED, "uuid": "0b5c-uuid"}
CODE = {
    "email": "jane.doe@example.fr",
    "code": "abc123",
    "expires_at": 1,
    "expires_in": 600,
    "maxuse": 1,
    "nbuse": 0,
}
ADDRESS = {
    "domain_name": "example.fr",
    "user_name": "jane.doe",
    "is_alias": False,
    "is_mailbox": True,
    "is_ox": True,
    "ox_primary_email": "jane.doe@example.fr",
    "ox_senders": [],
}
ALIAS = {
    "username": "contact",
    "domain": "example.fr",
    "destination": "jane@elsewhere.org",
    "allow_to_send": False,
}
MBOX = "/domains/example.fr/mailboxes/jane.doe"


@dataclass
class Case:
    id: str
    call: Callable[[DimailClient], Any]
    method: str
    path: str  # as sent, quoted, query string included
    auth: str  # "basic" or "bearer"
    current: bool = False  # route only current servers have
    sent: Any = None  # JSON body expected on the wire
    status: int = 200
    reply: Any = None
    expected: Any = None
    on_404: Any = RAISE  # what a "missing object" 404 returns instead of raising
    admin: bool = False  # Basic route of an admin: a refusal is about the account's rights
    grant: bool = False  # the client then grants itself the domain (POST /allows/)
    probe: bool = False  # the client first asks whether the server can set `active`
    extra: dict = field(default_factory=dict)


CASES = [
    Case(
        "create_domain",
        lambda c: c.create_domain("example.fr"),
        "POST",
        "/domains/",
        "basic",
        sent={
            "name": "example.fr",
            "features": ["webmail", "mailbox", "alias"],
            "context_name": "example.fr",
            "delivery": "virtual",
        },
        status=201,
        reply=DOMAIN,
        expected=DOMAIN,
        admin=True,
        grant=True,
    ),
    Case(
        "create_domain_options",
        lambda c: c.create_domain("example.fr", context_name="shared", features=["mailbox"]),
        "POST",
        "/domains/",
        "basic",
        sent={
            "name": "example.fr",
            "features": ["mailbox"],
            "context_name": "shared",
            "delivery": "virtual",
        },
        status=201,
        reply=DOMAIN,
        expected=DOMAIN,
        admin=True,
        grant=True,
    ),
    Case(
        "get_domain",
        lambda c: c.get_domain("example.fr"),
        "GET",
        "/domains/example.fr",
        "bearer",
        reply=DOMAIN,
        expected=DOMAIN,
    ),
    Case(
        "list_domains",
        lambda c: c.list_domains(),
        "GET",
        "/domains/",
        "basic",
        reply=[DOMAIN],
        expected=[DOMAIN],
        admin=True,
    ),
    Case(
        "check_domain",
        lambda c: c.check_domain("example.fr"),
        "GET",
        "/domains/example.fr/check",
        "basic",
        current=True,
        reply=CHECK,
        expected=CHECK,
    ),
    Case(
        "fix_domain",
        lambda c: c.fix_domain("example.fr"),
        "GET",
        "/domains/example.fr/fix/",
        "basic",
        current=True,
        reply=CHECK,
        expected=CHECK,
    ),
    Case(
        "domain_spec",
        lambda c: c.domain_spec("example.fr"),
        "GET",
        "/domains/example.fr/spec/",
        "basic",
        current=True,
        reply=SPEC,
        expected=SPEC,
    ),
    Case(
        "create_mailbox",
        lambda c: c.create_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe"),
        "POST",
        MBOX,
        "bearer",
        sent={"givenName": "Jane", "surName": "Doe", "displayName": "Jane Doe"},
        status=201,
        reply=NEW_MAILBOX,
        expected=NEW_MAILBOX,
    ),
    Case(
        "create_mailbox_quoted",
        lambda c: c.create_mailbox("example.fr", "jane+news", "", "", ""),
        "POST",
        "/domains/example.fr/mailboxes/jane%2Bnews",
        "bearer",
        sent={"givenName": "", "surName": "", "displayName": ""},
        status=201,
        reply=NEW_MAILBOX,
        expected=NEW_MAILBOX,
    ),
    Case(
        "list_mailboxes",
        lambda c: c.list_mailboxes("example.fr"),
        "GET",
        "/domains/example.fr/mailboxes/",
        "bearer",
        reply=[MAILBOX],
        expected=[MAILBOX],
    ),
    Case(
        "list_mailboxes_v2",
        lambda c: c.list_mailboxes_v2("example.fr"),
        "GET",
        "/v2/domains/example.fr/mailboxes/",
        "bearer",
        current=True,
        reply=[MAILBOX_V2],
        expected=[MAILBOX_V2],
    ),
    Case(
        "get_mailbox",
        lambda c: c.get_mailbox("example.fr", "jane.doe"),
        "GET",
        MBOX,
        "bearer",
        reply=MAILBOX,
        expected=MAILBOX,
    ),
    Case(
        "update_mailbox",
        lambda c: c.update_mailbox("example.fr", "jane.doe", displayName="J. Doe"),
        "PATCH",
        MBOX,
        "bearer",
        sent={"displayName": "J. Doe"},
        reply=MAILBOX,
        expected=MAILBOX,
    ),
    Case(
        "disable_mailbox",
        lambda c: c.disable_mailbox("example.fr", "jane.doe"),
        "PATCH",
        MBOX,
        "bearer",
        sent={"active": "no"},
        reply=MAILBOX,
        expected=MAILBOX,
        probe=True,
    ),
    Case(
        "enable_mailbox",
        lambda c: c.enable_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe"),
        "PATCH",
        MBOX,
        "bearer",
        sent={"active": "yes", "givenName": "Jane", "surName": "Doe", "displayName": "Jane Doe"},
        reply=MAILBOX,
        expected=MAILBOX,
        probe=True,
    ),
    Case(
        "reset_password",
        lambda c: c.reset_password("example.fr", "jane.doe"),
        "POST",
        MBOX + "/reset_password/",
        "bearer",
        current=True,
        reply={"email": "jane.doe@example.fr", "password": GENERATED},
        expected={"email": "jane.doe@example.fr", "password": GENERATED},
    ),
    Case(
        "login_code",
        lambda c: c.login_code("example.fr", "jane.doe"),
        "POST",
        MBOX + "/code",
        "bearer",
        current=True,
        sent={"expires_in": 3600, "maxuse": 3},
        reply=CODE,
        expected=CODE,
    ),
    Case(
        "login_code_options",
        lambda c: c.login_code("example.fr", "jane.doe", expires_in=600, maxuse=1),
        "POST",
        MBOX + "/code",
        "bearer",
        current=True,
        sent={"expires_in": 600, "maxuse": 1},
        reply=CODE,
        expected=CODE,
    ),
    Case(
        "probe_address",
        lambda c: c.probe_address("example.fr", "jane.doe"),
        "GET",
        "/domains/example.fr/address/jane.doe/",
        "bearer",
        current=True,
        reply=ADDRESS,
        expected=AddressProbe(
            "example.fr", "jane.doe", False, True, True, "jane.doe@example.fr", ()
        ),
        on_404=None,
    ),
    Case(
        "create_alias",
        lambda c: c.create_alias("example.fr", "contact", "jane@elsewhere.org"),
        "POST",
        "/domains/example.fr/aliases/",
        "bearer",
        sent={"user_name": "contact", "destination": "jane@elsewhere.org"},
        status=201,
        reply=ALIAS,
        expected=ALIAS,
    ),
    Case(
        "create_alias_older_200",
        lambda c: c.create_alias("example.fr", "contact", "jane@elsewhere.org"),
        "POST",
        "/domains/example.fr/aliases/",
        "bearer",
        sent={"user_name": "contact", "destination": "jane@elsewhere.org"},
        status=200,
        reply=ALIAS,
        expected=ALIAS,
    ),
    Case(
        "list_aliases",
        lambda c: c.list_aliases("example.fr"),
        "GET",
        "/domains/example.fr/aliases/",
        "bearer",
        reply=[ALIAS],
        expected=[ALIAS],
    ),
    Case(
        "list_aliases_user",
        lambda c: c.list_aliases("example.fr", user_name="contact"),
        "GET",
        "/domains/example.fr/aliases/?user_name=contact",
        "bearer",
        reply=[ALIAS],
        expected=[ALIAS],
    ),
    Case(
        "list_aliases_pair",
        lambda c: c.list_aliases("example.fr", "contact", "jane+x@elsewhere.org"),
        "GET",
        "/domains/example.fr/aliases/?user_name=contact&destination=jane%2Bx%40elsewhere.org",
        "bearer",
        reply=[ALIAS],
        expected=[ALIAS],
        on_404=[],
    ),
    Case(
        "delete_alias",
        lambda c: c.delete_alias("example.fr", "contact", "jane+x@elsewhere.org"),
        "DELETE",
        "/domains/example.fr/aliases/contact/jane%2Bx%40elsewhere.org",
        "bearer",
        status=204,
        expected=True,
        on_404=False,
    ),
    Case(
        "delete_all_aliases",
        lambda c: c.delete_all_aliases("example.fr", "contact"),
        "DELETE",
        "/domains/example.fr/aliases/contact/all",
        "bearer",
        status=204,
        expected=None,
        on_404=None,  # tested on its own: the 404 path asks the list route
    ),
]
CASE_IDS = [c.id for c in CASES]


def register(rsps, case: Case, status: int, **kwargs):
    url = BASE + case.path.split("?")[0]
    # Basic routes need the token too: a refusal is told apart by asking for one.
    token_route(rsps)
    if case.grant:
        rsps.post(ALLOWS, status=201, json={"user": USER, "domain": "example.fr"})
    if case.probe:
        active_probe_route(rsps)
    rsps.add(case.method, url, status=status, **kwargs)


# --------------------------------------------------------------------------- success


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_success(rsps, client, case):
    reply = {} if case.reply is None else {"json": case.reply}
    register(rsps, case, case.status, **reply)

    assert case.call(client) == case.expected

    [call] = route_calls(rsps)
    assert call.request.method == case.method
    assert call.request.url == BASE + case.path
    bearer_needed = case.auth == "bearer" or case.probe
    if case.auth == "basic":
        assert call.request.headers["Authorization"] == BASIC
    else:
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert rsps.calls[0].request.headers["Authorization"] == BASIC
    assert token_calls(rsps) == (1 if bearer_needed else 0)
    assert sent_json(call) == case.sent
    grants = calls_to(rsps, ALLOWS)
    assert [sent_json(g) for g in grants] == ([{"user": USER, "domain": "example.fr"}] * case.grant)
    assert all(g.request.headers["Authorization"] == BASIC for g in grants)
    assert len(calls_to(rsps, ACTIVE_PROBE)) == case.probe
    assert client.calls == len(rsps.calls)
    assert call.request.req_kwargs["timeout"] == (5.0, 10.0)


# --------------------------------------------------------------------------- HTTP errors

VALIDATION = {
    "detail": [
        {"loc": ["body", "givenName"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "features", 0], "msg": "Input should be 'webmail'", "type": "enum"},
    ]
}
# key: (status, response kwargs, detail the exception must carry)
ERRORS = {
    "401": (401, {"json": {"detail": "Not authorized."}}, "Not authorized."),
    "403": (403, {"json": {"detail": "Permission denied"}}, "Permission denied"),
    "404": (404, {"json": {"detail": "Mailbox not found"}}, "Mailbox not found"),
    "404-generic": (404, {"json": {"detail": "Not Found"}}, "Not Found"),
    "405": (405, {"json": {"detail": "Method Not Allowed"}}, "Method Not Allowed"),
    "409": (409, {"json": {"detail": "Domain already exists"}}, "Domain already exists"),
    "422": (
        422,
        {"json": VALIDATION},
        "givenName: Field required; features.0: Input should be 'webmail'",
    ),
    "500-text": (500, {"body": "Internal Server Error"}, "Internal Server Error"),
    "502": (502, {"body": ""}, "HTTP 502 Bad Gateway"),
    "503": (503, {"json": {"detail": "OX is down"}}, "OX is down"),
}


def expected_outcome(case: Case, key: str):
    if key in ("401", "403"):
        # The token call works in this table: a refusal is about rights, never credentials.
        return DimailNoGrant
    if key == "404-generic" and case.current:
        return DimailNotSupported
    if key.startswith("404"):
        return DimailNotFound if case.on_404 is RAISE else case.on_404
    if key == "405":
        return DimailNotSupported if case.current else DimailRejected
    if key == "409":
        return DimailConflict
    if key == "422":
        return DimailRejected
    return DimailUnavailable


def expected_words(case: Case, cls: type, detail: str) -> list[str]:
    """What the exception's detail must say besides dimail's own words."""
    if cls is DimailNoGrant:
        return ["may not create or list domains"] if case.admin else ["the domain example.fr"]
    if cls is DimailNotSupported:
        return ["not available on this mail platform"]
    return []


ERROR_PARAMS = [
    pytest.param(case, key, id=f"{case.id}-{key}")
    for case in CASES
    for key in ERRORS
    if not (case.id == "delete_all_aliases" and key.startswith("404"))
]


@pytest.mark.parametrize("case, key", ERROR_PARAMS)
def test_http_errors(rsps, client, case, key):
    status, kwargs, detail = ERRORS[key]
    register(rsps, case, status, **kwargs)
    outcome = expected_outcome(case, key)

    if isinstance(outcome, type):
        with pytest.raises(outcome) as info:
            case.call(client)
        err = info.value
        assert type(err) is outcome
        assert err.status == status
        assert detail in err.detail
        for words in expected_words(case, outcome, detail):
            assert words in err.detail
        assert (err.method, err.path) == (case.method, case.path.split("?")[0])
        assert detail in str(err)
    else:
        assert case.call(client) == outcome

    refused = status in (401, 403)
    # Bearer routes get exactly one retry with a fresh token on 401/403; a Basic route asks
    # for a token instead, to tell bad credentials from missing rights; nothing else retries.
    retried = case.auth == "bearer" and refused
    assert len(route_calls(rsps)) == (2 if retried else 1)
    bearer_needed = case.auth == "bearer" or case.probe
    assert token_calls(rsps) == bearer_needed + refused
    # The domain is granted after a creation and after "already exists", not after a refusal.
    granted = case.grant and key in ("409",)
    assert len(calls_to(rsps, ALLOWS)) == granted
    assert client.calls == len(rsps.calls)


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


# --------------------------------------------------------------------------- transport errors

TRANSPORT = {
    "read-timeout": (requests.exceptions.ReadTimeout(), "timed out after 10 s"),
    "connect-timeout": (requests.exceptions.ConnectTimeout(), "connection timed out after 5 s"),
    "connection": (requests.exceptions.ConnectionError(), "connection refused or dropped"),
    "chunked": (
        requests.exceptions.ChunkedEncodingError(),
        "connection dropped in the middle of the answer",
    ),
}


@pytest.mark.parametrize(
    "case, key",
    [pytest.param(c, k, id=f"{c.id}-{k}") for c in CASES for k in TRANSPORT],
)
def test_transport_errors(rsps, client, case, key):
    exc, detail = TRANSPORT[key]
    register(rsps, case, 200, body=exc)
    with pytest.raises(DimailUnavailable) as info:
        case.call(client)
    assert info.value.status is None
    assert info.value.detail == detail
    assert len(route_calls(rsps)) == 1  # no retry: that is the job queue's call
    assert client.calls == len(rsps.calls)


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


# --------------------------------------------------------------------------- token cache


def test_token_fetched_once_and_reused(rsps, client):
    token_route(rsps)
    rsps.get(f"{BASE}/domains/example.fr", json=DOMAIN)
    rsps.get(f"{BASE}/domains/example.fr/mailboxes/", json=[])
    for _ in range(5):
        client.get_domain("example.fr")
        client.list_mailboxes("example.fr")
    assert token_calls(rsps) == 1
    assert client.calls == 11


@pytest.mark.parametrize("exp_in", [-600, 30], ids=["expired", "inside-margin"])
def test_token_refetched_when_expired_or_close(rsps, client, exp_in):
    old, new = make_token(exp_in), make_token(3600, sub="again")
    token_route(rsps, old, new)
    rsps.get(f"{BASE}/domains/example.fr", json=DOMAIN)
    for _ in range(3):
        client.get_domain("example.fr")
    assert token_calls(rsps) == 2
    auth = [c.request.headers["Authorization"] for c in route_calls(rsps)]
    assert auth == [f"Bearer {old}", f"Bearer {new}", f"Bearer {new}"]


def test_token_refetched_60s_before_exp(rsps, client):
    now = time.time()
    first, second = make_token(3600), make_token(3600, sub="again")
    token_route(rsps, first, second)
    rsps.get(f"{BASE}/domains/example.fr", json=DOMAIN)
    client._clock = lambda: now
    client.get_domain("example.fr")
    client._clock = lambda: now + 3600 - 62
    client.get_domain("example.fr")
    assert token_calls(rsps) == 1
    client._clock = lambda: now + 3600 - 58
    client.get_domain("example.fr")
    assert token_calls(rsps) == 2


@pytest.mark.parametrize("token", [make_token(None), "opaque-not-a-jwt"], ids=["no-exp", "opaque"])
def test_token_without_exp_kept_five_minutes(rsps, client, token):
    now = time.time()
    token_route(rsps, token)
    rsps.get(f"{BASE}/domains/example.fr", json=DOMAIN)
    client._clock = lambda: now
    client.get_domain("example.fr")
    client._clock = lambda: now + 299
    client.get_domain("example.fr")
    assert token_calls(rsps) == 1
    client._clock = lambda: now + 301
    client.get_domain("example.fr")
    assert token_calls(rsps) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_token_refreshed_once_on_auth_failure(rsps, client, status):
    stale, fresh = make_token(), make_token(sub="fresh")
    token_route(rsps, stale, fresh)
    url = f"{BASE}/domains/example.fr/mailboxes/jane.doe"
    rsps.get(url, status=status, json={"detail": "Invalid authentication credentials"})
    rsps.get(url, json=MAILBOX)

    assert client.get_mailbox("example.fr", "jane.doe") == MAILBOX
    auth = [c.request.headers["Authorization"] for c in route_calls(rsps)]
    assert auth == [f"Bearer {stale}", f"Bearer {fresh}"]
    assert client.calls == 4
    # The fresh token is then cached.
    client.get_mailbox("example.fr", "jane.doe")
    assert token_calls(rsps) == 2


def test_no_grant_when_refresh_does_not_help(rsps, client):
    token_route(rsps, make_token(), make_token(sub="fresh"))
    rsps.get(f"{BASE}/domains/example.fr", status=401, json={"detail": "Not authorized."})
    with pytest.raises(DimailNoGrant) as info:
        client.get_domain("example.fr")
    assert info.value.status == 401
    assert "no rights on the domain example.fr" in info.value.detail
    assert "Not authorized." in info.value.detail
    assert client.calls == 4  # token, call, token, call: no third attempt


@pytest.mark.parametrize("status", [401, 403])
def test_token_route_refusal_is_auth_error(rsps, client, status):
    rsps.get(f"{BASE}/token/", status=status, json={"detail": "Permission denied"})
    with pytest.raises(DimailAuthError) as info:
        client.get_domain("example.fr")
    assert (info.value.path, info.value.detail) == ("/token/", "Permission denied")
    assert client.calls == 1


@pytest.mark.parametrize(
    "kwargs, cls",
    [
        ({"status": 500, "body": "Internal Server Error"}, DimailUnavailable),
        ({"json": {"token_type": "bearer"}}, DimailBadAnswer),
        ({"body": "not json"}, DimailBadAnswer),
    ],
    ids=["500", "no-access-token", "not-json"],
)
def test_token_route_failures(rsps, client, kwargs, cls):
    rsps.get(f"{BASE}/token/", **kwargs)
    with pytest.raises(cls):
        client.get_domain("example.fr")
    assert client.calls == 1


def test_failed_token_fetch_is_retried_next_call(rsps, client):
    rsps.get(f"{BASE}/token/", status=503, body="")
    rsps.get(f"{BASE}/token/", json={"access_token": TOKEN, "token_type": "bearer"})
    rsps.get(f"{BASE}/domains/example.fr", json=DOMAIN)
    with pytest.raises(DimailUnavailable):
        client.get_domain("example.fr")
    assert client.get_domain("example.fr") == DOMAIN
    assert token_calls(rsps) == 2


def test_concurrent_callers_share_one_token(rsps, client):
    token_route(rsps)
    rsps.get(f"{BASE}/domains/example.fr", json=DOMAIN)
    start = threading.Barrier(8)

    def work():
        start.wait()
        client.get_domain("example.fr")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert token_calls(rsps) == 1
    assert client.calls == 9


def test_dropping_a_stale_token_keeps_a_newer_one(client):
    # Thread A saw a 401 with token "a" while thread B had already replaced it with "b".
    client._token = "b"
    client._drop_token("a")
    assert client._token == "b"
    client._drop_token("b")
    assert client._token is None


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


# --------------------------------------------------------------------------- older servers


@pytest.mark.parametrize("status", [404, 405])
@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.current],
    ids=[c.id for c in CASES if c.current],
)
def test_older_server_routes_not_supported(rsps, client, case, status):
    detail = "Not Found" if status == 404 else "Method Not Allowed"
    register(rsps, case, status, json={"detail": detail})
    with pytest.raises(DimailNotSupported):
        case.call(client)


def test_not_supported_on_non_json_404(rsps, client):
    # A proxy in front of an older dimail may answer with its own page.
    rsps.get(f"{BASE}/domains/example.fr/spec/", status=404, body="<h1>404</h1>")
    with pytest.raises(DimailNotSupported):
        client.domain_spec("example.fr")


@pytest.mark.parametrize(
    "detail, expected",
    [("Not found", None), ("Domain not found", None), ("Not Found", DimailNotSupported)],
)
def test_probe_address_404_meanings(rsps, client, detail, expected):
    token_route(rsps)
    url = f"{BASE}/domains/example.fr/address/jane.doe/"
    rsps.get(url, status=404, json={"detail": detail})
    if expected is None:
        assert client.probe_address("example.fr", "jane.doe") is None
    else:
        with pytest.raises(expected):
            client.probe_address("example.fr", "jane.doe")


def test_check_on_missing_domain_is_not_found(rsps, client):
    rsps.get(f"{BASE}/domains/nope.fr/check", status=404, json={"detail": "Domain not found"})
    with pytest.raises(DimailNotFound):
        client.check_domain("nope.fr")


# --------------------------------------------------------------------------- aliases


def test_list_aliases_missing_pair_is_empty_but_missing_domain_raises(rsps, client):
    token_route(rsps)
    url = f"{BASE}/domains/example.fr/aliases/"
    rsps.get(url, status=404, json={"detail": "Alias not found"})
    assert client.list_aliases("example.fr", "contact", "x@y.org") == []
    with pytest.raises(DimailNotFound):
        client.list_aliases("example.fr", "contact")


def _delete_all_routes(rsps, listed):
    token_route(rsps)
    base = f"{BASE}/domains/example.fr/aliases/"
    rsps.delete(f"{base}contact/all", status=404, json={"detail": "Not found"})
    if isinstance(listed, int):
        rsps.get(base, status=listed, json={"detail": "Domain not found"})
    else:
        rsps.get(base, json=listed)
    return base


def test_delete_all_aliases_none_left(rsps, client):
    base = _delete_all_routes(rsps, [])
    assert client.delete_all_aliases("example.fr", "contact") is None
    urls = [(c.request.method, c.request.url) for c in route_calls(rsps)]
    assert urls == [("DELETE", f"{base}contact/all"), ("GET", f"{base}?user_name=contact")]


def test_delete_all_aliases_on_server_without_all(rsps, client):
    # An older server reads "all" as a literal destination: fall back to one by one.
    base = _delete_all_routes(
        rsps, [dict(ALIAS, destination="a@x.org"), dict(ALIAS, destination="b+c@x.org")]
    )
    rsps.delete(f"{base}contact/a%40x.org", status=204)
    rsps.delete(f"{base}contact/b%2Bc%40x.org", status=404, json={"detail": "Not found"})
    assert client.delete_all_aliases("example.fr", "contact") is None
    deleted = [c.request.url for c in route_calls(rsps) if c.request.method == "DELETE"]
    assert deleted == [
        f"{base}contact/all",
        f"{base}contact/a%40x.org",
        f"{base}contact/b%2Bc%40x.org",
    ]


def test_delete_all_aliases_missing_domain(rsps, client):
    _delete_all_routes(rsps, 404)
    assert client.delete_all_aliases("example.fr", "contact") is None


# --------------------------------------------------------------------------- arguments


def test_update_mailbox_refuses_unknown_fields(rsps, client):
    with pytest.raises(TypeError, match="given_name"):
        client.update_mailbox("example.fr", "jane.doe", given_name="Jane")
    assert client.calls == 0


def test_update_mailbox_accepts_bool_active(rsps, client):
    token_route(rsps)
    active_probe_route(rsps)
    rsps.patch(f"{BASE}{MBOX}", json=MAILBOX)
    client.update_mailbox("example.fr", "jane.doe", active=False)
    assert sent_json(route_calls(rsps)[0]) == {"active": "no"}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_mailbox("example.fr", ""),
        lambda c: c.create_mailbox("", "jane", "", "", ""),
        lambda c: c.delete_alias("example.fr", "contact", ""),
    ],
    ids=["local-part", "domain", "destination"],
)
def test_empty_path_segment_refused(client, call):
    # An empty segment would turn an item URL into its collection URL.
    with pytest.raises(ValueError):
        call(client)
    assert client.calls == 0


def test_segments_are_quoted(rsps, client):
    token_route(rsps)
    rsps.get(f"{BASE}/domains/example.fr/mailboxes/a%2Fb%20c%3F", json=MAILBOX)
    client.get_mailbox("example.fr", "a/b c?")
    assert route_calls(rsps)[0].request.url == f"{BASE}/domains/example.fr/mailboxes/a%2Fb%20c%3F"


# --------------------------------------------------------------------------- construction


def test_from_config():
    client = DimailClient.from_config(
        {
            "DIMAIL_URL": "http://dimail.test:8001/",
            "DIMAIL_USER": USER,
            "DIMAIL_PASSWORD": PASSWORD,
            "DIMAIL_TIMEOUT": "20",
        }
    )
    assert client.base_url == "http://dimail.test:8001"
    assert (client.connect_timeout, client.timeout) == (5.0, 20.0)
    assert client.calls == 0


def test_from_config_small_timeout_and_missing_keys():
    client = DimailClient.from_config(
        {"DIMAIL_URL": BASE, "DIMAIL_USER": USER, "DIMAIL_PASSWORD": PASSWORD, "DIMAIL_TIMEOUT": 2}
    )
    assert (client.connect_timeout, client.timeout) == (2.0, 2.0)
    with pytest.raises(DimailConfigError, match="DIMAIL_PASSWORD"):
        DimailClient.from_config({"DIMAIL_URL": BASE, "DIMAIL_USER": USER})


def test_own_session_pools_without_retries(client):
    adapter = client._session.get_adapter(BASE)
    assert adapter.max_retries.total == 0
    assert adapter._pool_maxsize == 10


def test_given_session_is_used(rsps):
    session = requests.Session()
    session.headers["X-Trace"] = "t1"
    client = DimailClient(BASE, USER, PASSWORD, session=session)
    rsps.get(f"{BASE}/domains/", json=[])
    client.list_domains()
    assert rsps.calls[0].request.headers["X-Trace"] == "t1"
    client.close()  # not ours: must stay usable
    assert session.get_adapter(BASE) is not None


def test_exceptions_survive_pickling():
    err = DimailConflict("Domain already exists", 409, "POST", "/domains/")
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(copy) is DimailConflict
    assert (copy.detail, copy.status, copy.method, copy.path) == (
        "Domain already exists",
        409,
        "POST",
        "/domains/",
    )
    assert str(copy) == "dimail POST /domains/: 409 Domain already exists"
    assert str(DimailUnavailable("down")) == "down"


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


def test_proxy_settings_of_the_environment_are_kept_read_once(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "")
    session = DimailClient(BASE, USER, PASSWORD)._session
    assert session.proxies.get("http") == "http://proxy.internal:3128"
    assert session.trust_env is False  # not looked up again on every call


def test_no_proxy_of_the_environment_is_honoured(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "dimail.test")
    assert "http" not in DimailClient(BASE, USER, PASSWORD)._session.proxies


# --------------------------------------------------------------------------- redirects

CHECK_URL = f"{BASE}/domains/example.fr/check"


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


def test_bad_answer_is_permanent():
    assert issubclass(DimailBadAnswer, DimailRejected)
    assert issubclass(DimailNoGrant, DimailRejected)
    assert not issubclass(DimailConfigError, DimailUnavailable)


# --------------------------------------------------------------------------- route table


def test_every_path_is_spelled_as_dimail_md_writes_it():
    templates = {name: route.template for name, route in ROUTES.items()}
    assert templates["domain_check"] == "/domains/{domain}/check"
    assert templates["login_code"].endswith("/code")
    assert templates["mailbox"].endswith("{local_part}")
    for name in ("domain_fix", "domain_spec", "reset_password", "address"):
        assert templates[name].endswith("/"), name
    for name in ("token", "users", "allows", "domains", "mailboxes", "mailboxes_v2", "aliases"):
        assert templates[name].endswith("/"), name


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "url, words",
    [
        ("dimail.test:8001", "http:// or https://"),
        ("ftp://dimail.test", "http:// or https://"),
        ("http://", "no host name"),
        ("http:///path", "no host name"),
        ("http://dimail .test", "spaces"),
        (" http://dimail.test", "spaces"),
        ("http://dimail.test\n", "spaces"),
        ("http://dimail.test:port", "invalid host or port"),
        ("http://dimail.test:99999", "invalid host or port"),
        ("http://u:p@dimail.test", "must not carry credentials"),
        ("http://dimail.test/?x=1", "query string"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_bad_url_refused_at_construction(url, words):
    with pytest.raises(DimailConfigError) as info:
        DimailClient(url, USER, PASSWORD)
    assert words in str(info.value)
    with pytest.raises(DimailConfigError):
        DimailClient.from_config({"DIMAIL_URL": url, "DIMAIL_USER": USER, "DIMAIL_PASSWORD": "x"})


@pytest.mark.parametrize(
    "extra",
    [{"DIMAIL_TIMEOUT": "soon"}, {"DIMAIL_TIMEOUT": -1}, {"DIMAIL_CONNECT_TIMEOUT": "x"}],
)
def test_bad_timeouts_refused_at_construction(extra):
    config = {"DIMAIL_URL": BASE, "DIMAIL_USER": USER, "DIMAIL_PASSWORD": PASSWORD, **extra}
    with pytest.raises(DimailConfigError, match="seconds"):
        DimailClient.from_config(config)


def test_url_with_a_path_prefix_is_kept():
    assert DimailClient("https://api.test/dimail/", USER, PASSWORD).base_url == (
        "https://api.test/dimail"
    )


# --------------------------------------------------------------------------- rights


def test_bearer_refusal_with_refused_token_refresh_is_auth_error(rsps, client):
    rsps.get(f"{BASE}/token/", json={"access_token": TOKEN, "token_type": "bearer"})
    rsps.get(f"{BASE}/token/", status=403, json={"detail": "Permission denied"})
    rsps.get(f"{BASE}/domains/example.fr", status=401, json={"detail": "Not authorized."})
    with pytest.raises(DimailAuthError) as info:
        client.get_domain("example.fr")
    assert info.value.path == "/token/"


def test_fresh_token_refused_as_such_is_auth_error(rsps, client):
    # Not a grant: dimail refuses the token itself (what it says to Basic on a Bearer route).
    token_route(rsps, make_token(), make_token(sub="fresh"))
    url = f"{BASE}/domains/example.fr/mailboxes/"
    rsps.get(url, status=403, json={"detail": "Invalid authentication credentials"})
    with pytest.raises(DimailAuthError) as info:
        client.list_mailboxes("example.fr")
    assert info.value.detail == "Invalid authentication credentials"
    assert client.calls == 4


@pytest.mark.parametrize(
    "call, url",
    [
        (lambda c: c.check_domain("example.fr"), CHECK_URL),
        (lambda c: c.fix_domain("example.fr"), f"{BASE}/domains/example.fr/fix/"),
        (lambda c: c.domain_spec("example.fr"), f"{BASE}/domains/example.fr/spec/"),
    ],
    ids=["check", "fix", "spec"],
)
@pytest.mark.parametrize("token_works", [True, False], ids=["token-works", "token-refused"])
def test_basic_domain_route_refusal_told_apart_by_the_token(rsps, client, call, url, token_works):
    rsps.get(url, status=403, json={"detail": "Permission denied"})
    if token_works:
        token_route(rsps)
    else:
        rsps.get(f"{BASE}/token/", status=403, json={"detail": "Permission denied"})
    expected = DimailNoGrant if token_works else DimailAuthError
    with pytest.raises(expected) as info:
        call(client)
    if token_works:
        assert "no rights on the domain example.fr" in info.value.detail
    else:
        assert info.value.path == "/token/"
    assert client.calls == 2  # the call, then one token call: no retry


@pytest.mark.parametrize("token_works", [True, False], ids=["token-works", "token-refused"])
def test_domain_creation_refused(rsps, client, token_works):
    rsps.post(f"{BASE}/domains/", status=403, json={"detail": "Permission denied"})
    if token_works:
        token_route(rsps)
    else:
        rsps.get(f"{BASE}/token/", status=403, json={"detail": "Permission denied"})
    with pytest.raises(DimailNoGrant if token_works else DimailAuthError) as info:
        client.create_domain("example.fr")
    if token_works:
        assert "may not create or list domains" in info.value.detail
    assert not calls_to(rsps, ALLOWS)


def test_token_call_refused_is_auth_error_without_another_token_call(rsps, client):
    rsps.get(f"{BASE}/token/", status=401, json={"detail": "Not authenticated"})
    with pytest.raises(DimailAuthError):
        client.list_mailboxes("example.fr")
    assert client.calls == 1


# --------------------------------------------------------------------------- domain creation


@pytest.mark.parametrize(
    "status, body",
    [
        (201, {"user": USER, "domain": "example.fr"}),
        (409, {"detail": "Domain already allowed for this user"}),
        (403, {"detail": "Permission denied"}),
        (401, {"detail": "Not authenticated"}),
        (404, {"detail": "User not found"}),
        (422, {"detail": "bad"}),
    ],
)
def test_self_grant_answers_that_leave_the_creation_done(rsps, client, status, body):
    rsps.post(f"{BASE}/domains/", status=201, json=DOMAIN)
    rsps.post(ALLOWS, status=status, json=body)
    assert client.create_domain("example.fr") == DOMAIN
    [grant] = calls_to(rsps, ALLOWS)
    assert sent_json(grant) == {"user": USER, "domain": "example.fr"}
    assert grant.request.headers["Authorization"] == BASIC
    assert token_calls(rsps) == 0  # a refused grant is not investigated: the next call tells


def test_self_grant_unavailable_is_retried_by_the_job(rsps, client):
    rsps.post(f"{BASE}/domains/", status=201, json=DOMAIN)
    rsps.post(ALLOWS, status=503, body="")
    with pytest.raises(DimailUnavailable):
        client.create_domain("example.fr")


def test_existing_domain_is_granted_then_conflict(rsps, client):
    rsps.post(f"{BASE}/domains/", status=409, json={"detail": "Domain already exists"})
    rsps.post(ALLOWS, status=409, json={"detail": "Domain already allowed for this user"})
    with pytest.raises(DimailConflict) as info:
        client.create_domain("example.fr")
    assert info.value.detail == "Domain already exists"
    assert info.value.context_name is None
    assert len(calls_to(rsps, ALLOWS)) == 1


@pytest.mark.parametrize(
    "detail, context",
    [
        ("The domain is currently mapped to OX context ctx-42", "ctx-42"),
        ("The domain is currently mapped to OX context 'shared.fr'.", "shared.fr"),
    ],
)
def test_domain_mapped_to_another_context_is_a_conflict_naming_it(rsps, client, detail, context):
    rsps.post(f"{BASE}/domains/", status=409, json={"detail": detail})
    with pytest.raises(DimailConflict) as info:
        client.create_domain("example.fr")
    assert info.value.detail == detail
    assert info.value.context_name == context
    assert not calls_to(rsps, ALLOWS)
    copy = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own bytes
    assert (copy.context_name, copy.detail) == (context, detail)


def test_other_creation_409_is_a_refusal_not_already_there(rsps, client):
    detail = "OX context name is mandatory for mailbox feature"
    rsps.post(f"{BASE}/domains/", status=409, json={"detail": detail})
    with pytest.raises(DimailRejected) as info:
        client.create_domain("example.fr", features=["webmail"])
    assert type(info.value) is DimailRejected
    assert (info.value.status, info.value.detail) == (409, detail)
    assert not calls_to(rsps, ALLOWS)


def test_allow_domain(rsps, client):
    rsps.post(ALLOWS, status=201, json={"user": "other", "domain": "example.fr"})
    rsps.post(ALLOWS, status=409, json={"detail": "Domain already allowed for this user"})
    assert client.allow_domain("example.fr", "other") is True
    assert client.allow_domain("example.fr") is False
    assert [sent_json(c)["user"] for c in rsps.calls] == ["other", USER]


def test_create_user(rsps, client):
    rsps.post(f"{BASE}/users/", status=201, json={"name": "x", "is_admin": False, "uuid": "u"})
    assert client.create_user("x", "pw")["name"] == "x"
    assert sent_json(rsps.calls[0]) == {"name": "x", "password": "pw", "is_admin": False}


# --------------------------------------------------------------------------- address probe


@pytest.mark.parametrize(
    "answer, verdict, taken_by",
    [
        ({"is_mailbox": True, "is_ox": True}, "exists", None),
        (
            {"is_mailbox": False, "is_ox": True, "ox_primary_email": "Jane.Doe@Example.fr"},
            "exists",
            None,
        ),  # noqa: E501
        (
            {"is_ox": True, "ox_primary_email": "jane.doe2@example.fr"},
            "display_name_taken",
            "jane.doe2@example.fr",
        ),  # noqa: E501
        ({"is_alias": True, "is_mailbox": False, "is_ox": False}, "free", None),
        ({"is_alias": False, "is_mailbox": False, "is_ox": False}, "free", None),
        ({"is_mailbox": "false", "is_ox": "False", "is_alias": "true"}, "free", None),
        ({"is_mailbox": "TRUE"}, "exists", None),
        ({}, "free", None),
    ],
    ids=[
        "mailbox",
        "ox-same-address",
        "ox-other-address",
        "alias",
        "nothing",
        "strings",
        "TRUE",
        "empty",
    ],  # noqa: E501
)
def test_probe_verdicts(rsps, client, answer, verdict, taken_by):
    token_route(rsps)
    body = {"domain_name": "example.fr", "user_name": "jane.doe", **answer}
    rsps.get(f"{BASE}/domains/example.fr/address/jane.doe/", json=body)
    probe = client.probe_address("example.fr", "jane.doe")
    assert isinstance(probe, AddressProbe)
    assert probe.verdict("jane.doe@example.fr") == probe.verdict() == verdict
    assert probe.taken_by == taken_by
    assert all(isinstance(v, bool) for v in (probe.is_alias, probe.is_mailbox, probe.is_ox))


def test_probe_reads_like_the_old_dict(rsps, client):
    token_route(rsps)
    rsps.get(f"{BASE}/domains/example.fr/address/jane.doe/", json=ADDRESS)
    probe = client.probe_address("example.fr", "jane.doe")
    assert probe["is_mailbox"] is True and probe.get("is_alias") is False
    assert probe.get("nothing", 1) == 1
    with pytest.raises(KeyError):
        probe["nothing"]
    with pytest.raises(AttributeError):
        probe.is_ox = False  # frozen


# --------------------------------------------------------------------------- active flag

PATCH_CALLS = [
    lambda c: c.disable_mailbox("example.fr", "jane.doe"),
    lambda c: c.enable_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe"),
    lambda c: c.update_mailbox("example.fr", "jane.doe", active=False),
]


@pytest.mark.parametrize(
    "call, verb", list(zip(PATCH_CALLS, ["disable", "enable", "disable"], strict=True))
)
def test_active_refused_on_servers_that_ignore_it(rsps, client, call, verb):
    token_route(rsps)
    active_probe_route(rsps, current=False)
    rsps.patch(f"{BASE}{MBOX}", json=MAILBOX)  # what they answer, changing nothing
    with pytest.raises(DimailNotSupported, match=f"this mail platform cannot {verb} mailboxes"):
        call(client)
    assert not route_calls(rsps)  # no PATCH sent
    assert client.can_set_active() is False
    assert len(calls_to(rsps, ACTIVE_PROBE)) == 1  # asked once per client


def test_other_patches_need_no_probe(rsps, client):
    token_route(rsps)
    rsps.patch(f"{BASE}{MBOX}", json=MAILBOX)
    client.update_mailbox("example.fr", "jane.doe", displayName="J. Doe")
    assert not calls_to(rsps, ACTIVE_PROBE)


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (404, {"detail": "Domain not found"}, True),
        (403, {"detail": "Permission denied"}, True),
        (401, {"detail": "Not authorized."}, True),
        (200, [], True),
        (404, {"detail": "Not Found"}, False),
        (405, {"detail": "Method Not Allowed"}, False),
    ],
)
def test_can_set_active(rsps, client, status, body, expected):
    token_route(rsps)
    rsps.get(ACTIVE_PROBE, status=status, json=body)
    assert client.can_set_active() is expected
    assert client.can_set_active() is expected
    assert len(calls_to(rsps, ACTIVE_PROBE)) == 1


def test_can_set_active_unknown_while_dimail_is_down(rsps, client):
    token_route(rsps)
    rsps.get(ACTIVE_PROBE, status=503, body="")
    rsps.get(ACTIVE_PROBE, status=404, json={"detail": "Domain not found"})
    with pytest.raises(DimailUnavailable):
        client.can_set_active()
    assert client.can_set_active() is True  # not cached while unknown


# --------------------------------------------------------------------------- answers read


def test_spec_types_in_either_case_come_out_upper_case(rsps, client):
    records = [
        {"target": "", "type": "mx", "value": "mx.dimail.test."},
        {"target": "imap", "type": "Cname", "value": "imap.dimail.test."},
        {"target": None, "type": "TXT", "value": "v=spf1 -all"},
    ]
    rsps.get(f"{BASE}/domains/example.fr/spec/", json=records)
    assert client.domain_spec("example.fr") == [
        {"target": "", "type": "MX", "value": "mx.dimail.test."},
        {"target": "imap", "type": "CNAME", "value": "imap.dimail.test."},
        {"target": "", "type": "TXT", "value": "v=spf1 -all"},
    ]


@pytest.mark.parametrize(
    "call, url, body, key",
    [
        (
            lambda c: c.login_code("example.fr", "jane.doe"),
            f"{BASE}{MBOX}/code",
            {"email": "jane.doe@example.fr"},
            "code",
        ),
        (
            lambda c: c.reset_password("example.fr", "jane.doe"),
            f"{BASE}{MBOX}/reset_password/",
            {"email": "jane.doe@example.fr"},
            "password",
        ),
    ],
    ids=["code", "reset_password"],
)
def test_answers_without_what_the_route_gives_are_bad_answers(rsps, client, call, url, body, key):
    token_route(rsps)
    rsps.post(url, json=body)
    with pytest.raises(DimailBadAnswer, match=f"no {key}"):
        call(client)


def test_delete_mailbox(rsps, client):
    token_route(rsps)
    rsps.delete(f"{BASE}{MBOX}", status=204)
    rsps.delete(f"{BASE}{MBOX}", status=404, json={"detail": "Mailbox not found"})
    assert client.delete_mailbox("example.fr", "jane.doe") is True
    assert client.delete_mailbox("example.fr", "jane.doe") is False

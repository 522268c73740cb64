"""Every route of the dimail client, from the method table: success, HTTP errors, transport
errors, older servers (against `responses`: no network, no sleeping).
"""

import pytest
import requests

from tests.dimail.client_cases import CASE_IDS, CASES, RAISE, Case, register
from tests.dimail.client_support import (
    ACTIVE_PROBE,
    ALLOWS,
    BASE,
    BASIC,
    TOKEN,
    USER,
    calls_to,
    route_calls,
    sent_json,
    token_calls,
)
from webapp.dimail.client import (
    DimailConflict,
    DimailNoGrant,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)

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

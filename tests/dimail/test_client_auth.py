"""The dimail client's token and refusals: the token cache, its refresh, and telling bad
credentials from missing rights (against `responses`).
"""

import threading
import time

import pytest

from tests.dimail.client_support import (
    ALLOWS,
    BASE,
    CHECK_URL,
    DOMAIN,
    MAILBOX,
    TOKEN,
    calls_to,
    make_token,
    route_calls,
    token_calls,
    token_route,
)
from webapp.dimail.client import DimailAuthError, DimailBadAnswer, DimailNoGrant, DimailUnavailable

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

"""What the unit tests of the dimail client share: the fake server's address and credentials,
the answers it gives, and helpers to register routes in `responses` and read the calls made.

The `rsps` and `client` fixtures are in tests/dimail/conftest.py.
"""

import base64
import json
import time
from typing import Any

import jwt

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


# --------------------------------------------------------------------------- answers


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


CHECK_URL = f"{BASE}/domains/example.fr/check"

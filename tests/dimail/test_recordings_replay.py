"""Replays each recording of a real dimail server against a fresh simulator of that build's
generation and compares every answer: status, `Location`, content type family and JSON value.

The recordings are the ground truth. Only the placeholders `<jwt>`, `<generated>` and `<uuid>`
stand for any value of their kind, and lists compare without regard to order (the servers
list from sets); nothing else is tolerated. Each test collects every differing exchange of its
file before failing, so one run shows all of them.
"""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import urlsplit

import pytest

from devtools.simulator import create_simulator
from tests.dimail.recordings import GENERATIONS, exchanges

BASIC = {
    "basic admin": ("admin", "admin"),
    "basic client": ("client", "client"),
    "basic wrong": ("admin", "not-the-password"),
    "basic any (bootstrap)": ("whoever", "whatever"),
}
BEARER = {"bearer admin": ("admin", "admin"), "bearer client": ("client", "client")}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Replayer:
    """Sends recorded requests to an in-process simulator, with the recorded credentials."""

    def __init__(self, generation: str):
        self.client = create_simulator(users=None, generation=generation, dns="none").test_client()
        self.tokens: dict[str, str] = {}

    def _token(self, auth: str) -> str:
        # Fetched on first use, outside the replay: GET /token/ changes nothing on the server.
        if auth not in self.tokens:
            answer = self.client.get("/token/", headers={"Authorization": _basic(*BEARER[auth])})
            assert answer.status_code == 200, (auth, answer.status_code, answer.get_data(True))
            self.tokens[auth] = answer.get_json()["access_token"]
        return self.tokens[auth]

    def headers(self, auth: str) -> dict:
        if auth == "none":
            return {}
        if auth in BASIC:
            return {"Authorization": _basic(*BASIC[auth])}
        if auth in BEARER:
            return {"Authorization": f"Bearer {self._token(auth)}"}
        raise AssertionError(f"unknown auth {auth!r} in a recording")

    def send(self, recorded: dict):
        options = {"headers": self.headers(recorded["auth"]), "follow_redirects": False}
        if recorded.get("json") is not None:
            options["json"] = recorded["json"]
        return self.client.open(recorded["path"], method=recorded["method"], **options)


# ------------------------------------------------------------------------------ matching


def _is_jwt(value) -> bool:
    if not isinstance(value, str) or value.count(".") != 2:
        return False
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except ValueError:
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


PLACEHOLDERS = {
    "<jwt>": _is_jwt,
    "<generated>": lambda value: isinstance(value, str) and bool(value),
    "<uuid>": _is_uuid,
}


def differences(expected, actual, where: str = "$") -> list[str]:
    """Where `actual` differs from the recorded `expected` (empty when it matches)."""
    if isinstance(expected, str) and expected in PLACEHOLDERS:
        ok = PLACEHOLDERS[expected](actual)
        return [] if ok else [f"{where}: {actual!r} is not a {expected}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        found = []
        for name in expected.keys() - actual.keys():
            found.append(f"{where}.{name}: missing")
        for name in actual.keys() - expected.keys():
            found.append(f"{where}.{name}: unexpected ({actual[name]!r})")
        for name in expected.keys() & actual.keys():
            found.extend(differences(expected[name], actual[name], f"{where}.{name}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        if len(expected) != len(actual):
            return [f"{where}: {len(actual)} items instead of {len(expected)}: {actual!r}"]
        if _pairing(expected, list(actual)) is None:
            return [f"{where}: items differ (in any order): expected {expected!r}, got {actual!r}"]
        return []
    same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{where}: expected {expected!r}, got {actual!r}"]


def _pairing(expected: list, remaining: list) -> list | None:
    """A one-to-one matching of the items (placeholders make greedy matching unsafe)."""
    if not expected:
        return []
    first, rest = expected[0], expected[1:]
    for i, candidate in enumerate(remaining):
        if not differences(first, candidate):
            tail = _pairing(rest, remaining[:i] + remaining[i + 1 :])
            if tail is not None:
                return [candidate, *tail]
    return None


def _content_family(content_type: str | None) -> str | None:
    if not content_type:
        return None
    media = content_type.split(";", 1)[0].strip().lower()
    return {"application/json": "json", "text/plain": "text"}.get(media, media)


def compare(recorded: dict, response) -> list[str]:
    """Every way one answer differs from its recording."""
    found = []
    if response.status_code != recorded["status"]:
        found.append(f"status {response.status_code} instead of {recorded['status']}")
    headers = recorded["headers"]
    expected_location = headers.get("location")
    location = response.headers.get("Location")
    if expected_location is not None:
        expected_location = expected_location.replace("<base>", "", 1)
    if location is not None:
        parts = urlsplit(location)
        location = parts.path + (f"?{parts.query}" if parts.query else "")
    if location != expected_location:
        found.append(f"Location {location!r} instead of {expected_location!r}")
    family = _content_family(headers.get("content-type"))
    actual_family = _content_family(response.headers.get("Content-Type"))
    if actual_family != family:
        found.append(f"content type {actual_family!r} instead of {family!r}")
    text = response.get_data(as_text=True)
    if family == "json" and text:
        try:
            actual = json.loads(text)
        except ValueError:
            found.append(f"body is not JSON: {text[:200]!r}")
        else:
            found.extend(differences(recorded["body"], actual, "body"))
    elif text != recorded["body"]:
        found.append(f"body {text[:200]!r} instead of {recorded['body']!r}")
    return found


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_simulator_answers_as_the_recorded_server(name):
    replayer = Replayer(GENERATIONS[name])
    recorded = exchanges(name)
    mismatches = []
    for number, exchange in enumerate(recorded):
        request = exchange["request"]
        problems = compare(exchange["response"], replayer.send(request))
        if problems:
            label = f"#{number} {request['method']} {request['path']} ({exchange.get('note')})"
            mismatches.append(f"{label}: " + "; ".join(problems))
    replayed = len(recorded) - len(mismatches)
    summary = f"{name} ({GENERATIONS[name]}): replayed {replayed} of {len(recorded)} exchanges"
    print(summary)
    assert not mismatches, summary + "\n" + "\n".join(mismatches)


def test_matching_is_strict_except_for_placeholders():
    assert differences({"a": "<uuid>"}, {"a": str(uuid.uuid4())}) == []
    assert differences({"a": "<uuid>"}, {"a": "nope"})
    assert differences("<generated>", "")
    assert differences([1, "<generated>"], ["x", 1]) == []
    assert differences([{"n": 1}, {"n": 2}], [{"n": 2}, {"n": 1}]) == []
    assert differences([{"n": 1}], [{"n": 1, "extra": True}])
    assert differences({"ok": False}, {"ok": 0})
    assert differences(None, None) == []

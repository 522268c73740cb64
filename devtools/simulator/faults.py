"""Fault knobs: make the simulator slow, failing, hanging or rude, on purpose.

Knobs (all default to "no fault"):
- `latency_ms`: added to every answer;
- `error_rate`: fraction of requests answered a plain-text 500 or 502 *before* they have any
  effect;
- `timeout_rate`: fraction of requests that hang `hang_seconds` (default 30) before being
  served normally, so that the client times out although the server may act afterwards;
- `drop_rate`: fraction of requests whose connection is closed without any answer, before
  they have any effect;
- `fail_after_effect_rate`: fraction of successful writes (POST, PUT, PATCH, DELETE) whose
  answer is replaced by a plain-text 502 *after* the write happened: the "did it or didn't
  it" case that a client must survive by being idempotent;
- `seed`: seeds the random draws, so that a sequence of requests meets the same faults again.

Every request makes the same five draws whatever the knobs, so that with a given seed the
n-th request meets the same fate. Faults spare `/_simulator/*`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Response, request

log = logging.getLogger(__name__)

RATES = ("error_rate", "timeout_rate", "drop_rate", "fail_after_effect_rate")
DEFAULTS = {
    "latency_ms": 0.0,
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "drop_rate": 0.0,
    "fail_after_effect_rate": 0.0,
    "hang_seconds": 30.0,
    "seed": None,
}
ENVIRONMENT = {
    "latency_ms": "DIMAIL_SIM_LATENCY_MS",
    "error_rate": "DIMAIL_SIM_ERROR_RATE",
    "timeout_rate": "DIMAIL_SIM_TIMEOUT_RATE",
    "drop_rate": "DIMAIL_SIM_DROP_RATE",
    "fail_after_effect_rate": "DIMAIL_SIM_FAIL_AFTER_EFFECT_RATE",
    "hang_seconds": "DIMAIL_SIM_HANG_SECONDS",
    "seed": "DIMAIL_SIM_SEED",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ERROR_TEXTS = {500: "Internal Server Error", 502: "Bad Gateway"}


class FaultError(ValueError):
    """A knob that does not exist or a value it cannot take."""


def validate(knobs: Mapping) -> dict:
    """The knobs as numbers, or FaultError naming the first bad one."""
    clean = {}
    for name, value in knobs.items():
        if name not in DEFAULTS:
            raise FaultError(f"unknown fault knob {name!r}; known: {', '.join(DEFAULTS)}")
        if name == "seed":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise FaultError("seed must be an integer or null")
            clean[name] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FaultError(f"{name} must be a number")
        value = float(value)
        if value < 0 or (name in RATES and value > 1):
            raise FaultError(f"{name} must be {'between 0 and 1' if name in RATES else '>= 0'}")
        clean[name] = value
    return clean


def from_environment(environ: Mapping[str, str] = os.environ) -> dict:
    """The knobs set by DIMAIL_SIM_* variables (empty ones are ignored)."""
    knobs: dict = {}
    for name, variable in ENVIRONMENT.items():
        raw = environ.get(variable, "").strip()
        if not raw:
            continue
        try:
            knobs[name] = int(raw) if name == "seed" else float(raw)
        except ValueError as exc:
            raise FaultError(f"{variable}={raw!r} is not a number") from exc
    return validate(knobs)


@dataclass(frozen=True)
class Fate:
    """What the faults decided for one request, before it runs."""

    latency: float = 0.0
    drop: bool = False
    hang: float = 0.0
    error: int | None = None
    fail_after_effect: bool = False


class Faults:
    def __init__(self, lock: threading.RLock, initial: Mapping | None = None):
        self._lock = lock
        self._initial = validate(initial or {})
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.knobs = {**DEFAULTS, **self._initial}
            self._reseed(self.knobs["seed"])

    def _reseed(self, seed: int | None) -> None:
        # Fault injection, not cryptography: a seedable generator is the point.
        self._random = random.Random(seed)  # noqa: S311

    def update(self, knobs: Mapping) -> dict:
        clean = validate(knobs)
        with self._lock:
            self.knobs.update(clean)
            if "seed" in clean:
                self._reseed(clean["seed"])
            return self.snapshot()

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.knobs)

    def decide(self) -> Fate:
        with self._lock:
            k = self.knobs
            draws = [self._random.random() for _ in range(5)]
        error = None
        if draws[2] < k["error_rate"]:
            error = 500 if draws[3] < 0.5 else 502
        return Fate(
            latency=k["latency_ms"] / 1000,
            drop=draws[0] < k["drop_rate"],
            hang=k["hang_seconds"] if draws[1] < k["timeout_rate"] else 0.0,
            error=error,
            fail_after_effect=draws[4] < k["fail_after_effect_rate"],
        )


def plain_error(status: int) -> Response:
    return Response(ERROR_TEXTS[status], status=status, mimetype="text/plain")


def drop_connection() -> Response:
    """Close the client's connection without a word. Werkzeug's own server hands us the
    socket; it then fails quietly to write the response we return. Elsewhere (gunicorn...)
    the best we can do is a 502."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        log.warning("drop_rate: no socket to close under this server, answering 502")
        return plain_error(502)
    with contextlib.suppress(OSError):  # already gone
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    return Response(b"", status=500)


def before(fate: Fate, stopping: threading.Event) -> Response | None:
    """Apply the faults decided for a request before it runs; a response stops it there."""
    if fate.latency:
        stopping.wait(fate.latency)
    if fate.drop:
        return drop_connection()
    # After a hang the request is served normally (unless the server is stopping): its effect
    # may happen after the client has given up, as with a real slow server.
    if fate.hang and stopping.wait(fate.hang):
        return plain_error(502)
    if fate.error:
        return plain_error(fate.error)
    return None


def after(fate: Fate, method: str, response: Response) -> Response:
    """Replace a successful write's answer with a 502 when the dice say so."""
    if fate.fail_after_effect and method in WRITE_METHODS and 200 <= response.status_code < 300:
        return plain_error(502)
    return response

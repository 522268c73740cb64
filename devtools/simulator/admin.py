"""The simulator's own endpoints under /_simulator/, for tests and demos. No auth: this is a
test tool, bound to the loopback interface by default. Faults never apply here."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .faults import FaultError
from .web import fail, sim

admin = Blueprint("dimail_simulator_admin", __name__, url_prefix="/_simulator")


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        fail(422, "Expected a JSON object")
    return data


@admin.get("/state")
def state():
    return jsonify(sim().snapshot())


@admin.post("/reset")
def reset():
    sim().reset()
    return jsonify(sim().snapshot())


@admin.get("/faults")
def get_faults():
    return jsonify(sim().faults.snapshot())


@admin.post("/faults")
def set_faults():
    try:
        return jsonify(sim().faults.update(_json_object()))
    except FaultError as exc:
        fail(422, str(exc))


@admin.post("/domains/<name>/dns")
def set_dns(name):
    """{"ok": true} when the owner has published the expected records, false to break them;
    with false, "wrong": ["spf", ...] breaks only those checks."""
    body = _json_object()
    ok, wrong = body.get("ok"), body.get("wrong")
    if not isinstance(ok, bool):
        fail(422, 'Expected {"ok": true} or {"ok": false}')
    names = isinstance(wrong, list) and all(isinstance(w, str) for w in wrong)
    if wrong is not None and not names:
        fail(422, 'Expected "wrong" to list check names, e.g. ["spf"]')
    state = sim()
    with state.lock:
        domain = state.domains.get(name.strip().lower().rstrip("."))
        if domain is None:
            fail(404, "Domain not found")
        domain.dns_ok = ok
        domain.dns_wrong = tuple(wrong) if wrong is not None else None
        return jsonify({"name": domain.name, "dns_ok": domain.dns_ok, "dns_wrong": wrong})

"""An in-memory dimail server for development, demos and tests.

A small Flask app of its own (not the project's webapp) that answers as dimail does: same
paths, Basic and Bearer auth, status codes, JSON shapes and quirks (307 on a trailing-slash
mismatch in either direction, plain-text 500 on a duplicate mailbox, "Permisison denied"...).
Where DIMAIL.md and the recordings of real servers (tests/data/dimail-recordings/) disagree,
it follows the recordings. Three generations (`generations.py`):
- `current` (default): everything DIMAIL.md describes;
- `2024-08-check`: the later August 2024 build, with `GET /domains/{name}/check` answering the
  domain's own JSON with external checks and no `internal` flags; no fix/, spec/...;
- `2024`: the build without any check route; aliases created with 200.

Domain checks are deterministic (see `checks.py`): `dns="by-name"` (default) steers them by
the domain's name, `dns="none"` plays a server that resolves nothing, as the recorded ones
did. Fault knobs make it slow or failing on purpose (see `faults.py`).

The endpoints under `/_simulator/` (state, reset, faults, a domain's DNS) have NO
authentication: this is a test tool. `main()` binds 127.0.0.1 by default; never expose it.

    python -m devtools.simulator [--host 127.0.0.1] [--port 8001] [--generation current]
                                 [--dns by-name|none] [--no-user]

reads DIMAIL_USER / DIMAIL_PASSWORD (default people / people) for its one admin user, and the
DIMAIL_SIM_* variables of `faults.py` for its initial faults.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.serving import run_simple

from . import faults as fault_knobs
from .admin import admin
from .routes import api, current_only, with_check
from .state import DNS_MODES, GENERATIONS, SimState
from .web import ApiError

__all__ = ["DEFAULT_USERS", "SimState", "create_simulator", "main", "state_of"]

DEFAULT_USERS = MappingProxyType({"people": "people"})
EXTENSION = "dimail_simulator"
_PLACEHOLDER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def state_of(app: Flask) -> SimState:
    """The state behind a simulator app, for in-process tests."""
    return app.extensions[EXTENSION]


def _route_template() -> str:
    """ "METHOD /path/{placeholder}/" for the request counters, as FastAPI would write it."""
    rule = request.url_rule
    path = _PLACEHOLDER.sub(r"{\1}", rule.rule) if rule is not None else request.path
    return f"{request.method} {path}"


def _is_simulator_path() -> bool:
    return request.path == "/_simulator" or request.path.startswith("/_simulator/")


def _redirect(location: str) -> Response:
    # Starlette's redirect: 307, an empty body and no content type at all.
    response = Response(status=307, headers={"Location": location})
    response.headers.pop("Content-Type", None)
    return response


def _slash_mismatch() -> str | None:
    """Where FastAPI would send this request when only a trailing slash is wrong, or None.

    Werkzeug redirects a missing slash itself (with a 308); for a slash too many it answers
    404, so try the path without it, as Starlette does (a route with another method counts)."""
    exc = request.routing_exception
    if isinstance(exc, RequestRedirect):
        return exc.new_url
    if not isinstance(exc, NotFound) or not request.path.endswith("/") or request.path == "/":
        return None
    shorter = request.path[:-1]
    adapter = current_app.create_url_adapter(request)
    try:
        adapter.match(shorter, method=request.method)
    except MethodNotAllowed:
        pass
    except HTTPException:  # no such route, or one that would redirect back
        return None
    query = request.query_string.decode("latin-1")
    return request.root_url.rstrip("/") + shorter + (f"?{query}" if query else "")


def create_simulator(
    users: Mapping[str, str | Mapping] | None = DEFAULT_USERS,
    generation: str = "current",
    faults: Mapping | None = None,
    dns: str = "by-name",
    state_file: Path | None = None,
) -> Flask:
    """A fresh simulator (or, with `state_file`, the one that last wrote that file: its users,
    grants, domains, mailboxes and aliases, saved after every change).

    `users`: {name: password} declares an admin user; {name: {"password": ..., "is_admin":
    False, "perms": ["new_domain", ...]}} any user (`is_admin` defaults to False there, `perms`
    to none). With no users, the bootstrap rule lets any Basic credentials in as admin until a
    user is created. `generation`: one of GENERATIONS. `faults`: the initial fault knobs
    (`faults.py`); the environment is only read by `main()`. `dns`: "by-name" or "none" (see
    `checks.py`)."""
    state = SimState(users, generation, faults, dns)
    if state_file is not None:
        state.load(state_file)
    app = Flask(__name__, static_folder=None)
    app.extensions[EXTENSION] = state
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    _register_routes(app, state)
    _install_request_hooks(app, state, state_file)
    _install_error_handlers(app)
    return app


def _register_routes(app: Flask, state: SimState) -> None:
    """The routes of the state's generation, then the open /_simulator/ ones."""
    app.register_blueprint(api)
    if state.gen.check:
        app.register_blueprint(with_check)
    if state.gen.current_routes:
        app.register_blueprint(current_only)
    app.register_blueprint(admin)


def _install_request_hooks(app: Flask, state: SimState, state_file: Path | None) -> None:
    """Count each request and deal its fate (faults, slash redirects) before it runs; after
    it, save the state and let a fault strike after the effect."""

    @app.before_request
    def apply_faults():
        if _is_simulator_path():
            return None
        with state.lock:
            state.requests[_route_template()] += 1
        g.dimail_fate = fate = state.faults.decide()
        response = fault_knobs.before(fate, state.stopping)
        if response is not None:
            return response
        location = _slash_mismatch()
        return None if location is None else _redirect(location)

    @app.after_request
    def fail_after_effect(response):
        if state_file is not None and request.method != "GET":
            state.save(state_file)
        fate = g.get("dimail_fate")
        return response if fate is None else fault_knobs.after(fate, request.method, response)


def _install_error_handlers(app: Flask) -> None:
    """Errors answered as FastAPI does: {"detail": ...} JSON, and a plain-text 500."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        response = jsonify({"detail": exc.detail})
        response.status_code = exc.status
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, RequestRedirect):  # only reachable under /_simulator/
            return exc
        response = jsonify({"detail": exc.name})
        response.status_code = exc.code or 500
        for name, value in exc.get_headers():  # keep "Allow" on a 405, as Starlette does
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(500)
    def server_error(_exc):
        return Response("Internal Server Error", status=500, mimetype="text/plain")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.simulator",
        description="An in-memory dimail server (test tool: its /_simulator/ routes are open).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (keep it local)")
    parser.add_argument("--port", type=int, default=8001, help="default 8001")
    parser.add_argument("--generation", choices=GENERATIONS, default="current")
    parser.add_argument(
        "--dns",
        choices=DNS_MODES,
        default="by-name",
        help="by-name: checks steered by the domain's name (default); none: nothing resolves",
    )
    parser.add_argument("--user", default=os.environ.get("DIMAIL_USER") or "people")
    parser.add_argument(
        "--password",
        default=os.environ.get("DIMAIL_PASSWORD") or "people",
        help="prefer the DIMAIL_PASSWORD variable",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="keep users, domains, mailboxes and aliases in this file across restarts",
    )
    parser.add_argument(
        "--no-user",
        action="store_true",
        help="start without users: any Basic credentials are admin until one is created",
    )
    args = parser.parse_args(argv)
    try:
        initial_faults = fault_knobs.from_environment()
    except fault_knobs.FaultError as exc:
        parser.error(str(exc))
    users = None if args.no_user else {args.user: args.password}
    app = create_simulator(
        users, args.generation, initial_faults, dns=args.dns, state_file=args.state_file
    )
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    who = "no user (bootstrap)" if users is None else f"admin user {args.user!r}"
    knobs = {k: v for k, v in initial_faults.items() if v}
    print(
        f"dimail simulator ({args.generation}, dns {args.dns}) on http://{args.host}:{args.port}/ "
        f"with {who}; faults: {knobs or 'none'}",
        flush=True,
    )
    run_simple(args.host, args.port, app, threaded=True)

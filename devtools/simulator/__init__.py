"""An in-memory dimail server for development, demos and tests.

A small Flask app of its own (not the project's webapp) that speaks the *current* contract of
DIMAIL.md: same paths, Basic and Bearer auth, status codes, JSON shapes and quirks (307 on a
missing trailing slash, plain-text 500 on a duplicate mailbox...). `generation="2024"` plays
an older server instead: the current-only routes answer 404 and alias creation answers 200.

Domain checks are deterministic and steered by the domain's name (see `checks.py`). Fault
knobs make it slow or failing on purpose (see `faults.py`).

The endpoints under `/_simulator/` (state, reset, faults, a domain's DNS) have NO
authentication: this is a test tool. `main()` binds 127.0.0.1 by default; never expose it.

    python -m devtools.simulator [--host 127.0.0.1] [--port 8001] [--generation current]

reads DIMAIL_USER / DIMAIL_PASSWORD (default people / people) for its one admin user, and the
DIMAIL_SIM_* variables of `faults.py` for its initial faults.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections.abc import Mapping
from types import MappingProxyType

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.serving import run_simple

from . import faults as fault_knobs
from .admin import admin
from .routes import api, current_only
from .state import GENERATIONS, SimState
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


def create_simulator(
    users: Mapping[str, str] | None = DEFAULT_USERS,
    generation: str = "current",
    faults: Mapping | None = None,
) -> Flask:
    """A fresh simulator. `users` are admin users ({name: password}); with none, the bootstrap
    rule lets any Basic credentials in as admin until a user is created. `faults` are the
    initial fault knobs (`faults.py`); the environment is only read by `main()`."""
    state = SimState(users, generation, faults)
    app = Flask(__name__)
    app.extensions[EXTENSION] = state
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.register_blueprint(api)
    if generation == "current":
        app.register_blueprint(current_only)
    app.register_blueprint(admin)

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
        if isinstance(request.routing_exception, RequestRedirect):
            # Werkzeug says 308; FastAPI, and so dimail, says 307.
            location = request.routing_exception.new_url
            return Response(status=307, headers={"Location": location})
        return None

    @app.after_request
    def fail_after_effect(response):
        fate = g.get("dimail_fate")
        return response if fate is None else fault_knobs.after(fate, request.method, response)

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

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.simulator",
        description="An in-memory dimail server (test tool: its /_simulator/ routes are open).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (keep it local)")
    parser.add_argument("--port", type=int, default=8001, help="default 8001")
    parser.add_argument("--generation", choices=GENERATIONS, default="current")
    parser.add_argument("--user", default=os.environ.get("DIMAIL_USER") or "people")
    parser.add_argument(
        "--password",
        default=os.environ.get("DIMAIL_PASSWORD") or "people",
        help="prefer the DIMAIL_PASSWORD variable",
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
    app = create_simulator(users, args.generation, initial_faults)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    who = "no user (bootstrap)" if users is None else f"admin user {args.user!r}"
    knobs = {k: v for k, v in initial_faults.items() if v}
    print(
        f"dimail simulator ({args.generation}) on http://{args.host}:{args.port}/ "
        f"with {who}; faults: {knobs or 'none'}",
        flush=True,
    )
    run_simple(args.host, args.port, app, threaded=True)

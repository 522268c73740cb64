"""What every simulated route shares: FastAPI-like errors, body validation and the two auth
schemes (Basic and Bearer JWT) with dimail's failure answers."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import jwt
from flask import Blueprint, Response, current_app, request

from .state import PERMS, Domain, SimState, User

TOKEN_LIFETIME = timedelta(minutes=47)
FEATURES = ("webmail", "mailbox", "alias")


# What every generation serves, what builds with a check route add, what only current servers
# have: a generation without a blueprint answers its paths FastAPI's 404 {"detail": "Not Found"}.
api = Blueprint("dimail_api", __name__)
with_check = Blueprint("dimail_with_check", __name__)
current_only = Blueprint("dimail_current_only", __name__)


class ApiError(Exception):
    """Answered as JSON {"detail": ...} with its status."""

    def __init__(self, status: int, detail, headers: dict | None = None):
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def fail(status: int, detail, headers: dict | None = None) -> NoReturn:
    raise ApiError(status, detail, headers)


def sim() -> SimState:
    return current_app.extensions["dimail_simulator"]


def internal_error() -> Response:
    """FastAPI's bare 500, which dimail answers on duplicates and unknown domains."""
    return Response("Internal Server Error", status=500, mimetype="text/plain")


def no_content() -> Response:
    # FastAPI keeps the route's JSON content type on its empty 204s.
    return Response(b"", status=204, mimetype="application/json")


def domain_name(value: str) -> str:
    return value.strip().lower().rstrip(".")


def clean_local(value: str) -> str:
    """A local part as dimail keeps it: case included (look it up with `state.key`)."""
    return value.strip()


# ----------------------------------------------------------------------- body validation

_TYPE_ERRORS = {
    "str": ("string_type", "Input should be a valid string"),
    "bool": ("bool_type", "Input should be a valid boolean"),
    "int": ("int_type", "Input should be a valid integer"),
    "list": ("list_type", "Input should be a valid list"),
}


def _type_error(kind: str, loc: list, value) -> dict:
    code, msg = _TYPE_ERRORS[kind]
    return {"type": code, "loc": loc, "msg": msg, "input": value}


def _enum_error(choices, loc: list, value) -> dict:
    quoted = [f"'{c}'" for c in choices]
    expected = ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return {
        "type": "enum",
        "loc": loc,
        "msg": f"Input should be {expected}",
        "input": value,
        "ctx": {"expected": expected},
    }


def _check(kind: str, value, loc: list) -> list[dict]:
    """Errors of one value against a kind: str, bool, int, list[str], features, perms, yes/no; a
    trailing `?` allows null."""
    if kind.endswith("?"):
        if value is None:
            return []
        kind = kind[:-1]
    if kind == "str":
        return [] if isinstance(value, str) else [_type_error("str", loc, value)]
    if kind == "bool":
        return [] if isinstance(value, bool) else [_type_error("bool", loc, value)]
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [_type_error("int", loc, value)]
    if kind == "yes/no":
        return [] if value in ("yes", "no") else [_enum_error(("yes", "no"), loc, value)]
    if kind in ("list[str]", "features", "perms"):
        if not isinstance(value, list):
            return [_type_error("list", loc, value)]
        choices = {"features": FEATURES, "perms": PERMS}.get(kind)
        errors = []
        for i, item in enumerate(value):
            if choices and item not in choices:
                errors.append(_enum_error(choices, [*loc, i], item))
            elif not isinstance(item, str):
                errors.append(_type_error("str", [*loc, i], item))
        return errors
    raise AssertionError(f"unknown kind {kind}")


def body(fields: dict[str, tuple[str, bool]]) -> dict:
    """The JSON body checked against {field: (kind, required)}; unknown keys are dropped,
    problems are a 422 with FastAPI's list of errors."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        fail(422, [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        error = {"type": "json_invalid", "loc": ["body", position], "msg": "JSON decode error"}
        fail(422, [{**error, "input": {}, "ctx": {"error": getattr(exc, "msg", str(exc))}}])
    if not isinstance(data, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        fail(422, [{"type": "model_attributes_type", "loc": ["body"], "msg": msg, "input": data}])
    errors = []
    for name, (kind, required) in fields.items():
        if name in data:
            errors.extend(_check(kind, data[name], ["body", name]))
        elif required:
            errors.append(
                {"type": "missing", "loc": ["body", name], "msg": "Field required", "input": data}
            )
    if errors:
        fail(422, errors)
    return {name: data[name] for name in fields if name in data}


# ---------------------------------------------------------------------------------- auth


@dataclass(frozen=True)
class Caller:
    name: str
    is_admin: bool
    perms: frozenset[str] = frozenset()

    def may(self, perm: str) -> bool:
        return self.is_admin or perm in self.perms


def _caller(user: User) -> Caller:
    return Caller(user.name, user.is_admin, frozenset(user.perms))


def basic_user() -> Caller:
    """The Basic caller. While there is no user at all, anyone is admin (bootstrap)."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        fail(401, "Not authenticated", {"WWW-Authenticate": "Basic"})
    state = sim()
    with state.lock:
        if not state.users:
            return Caller(auth.username or "", True)
        user = state.users.get(auth.username or "")
        given = (auth.password or "").encode()
        if user is None or not hmac.compare_digest(user.password.encode(), given):
            fail(403, "Permission denied")
        return _caller(user)


def basic_admin() -> Caller:
    caller = basic_user()
    if not caller.is_admin:
        fail(403, "Permission denied")
    return caller


def issue_token(name: str) -> str:
    now = datetime.now(UTC)
    claims = {"sub": name, "iat": now, "exp": now + TOKEN_LIFETIME}
    return jwt.encode(claims, sim().secret, algorithm="HS256")


def bearer_user() -> Caller:
    """The caller of a Bearer route, with the answers FastAPI's HTTPBearer and dimail give."""
    header = request.headers.get("Authorization", "")
    if not header.strip():
        fail(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        fail(403, "Invalid authentication credentials")
    state = sim()
    challenge = {"WWW-Authenticate": "Bearer"}
    try:
        claims = jwt.decode(
            token.strip(), state.secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        fail(401, "Token expired", challenge)
    except jwt.InvalidTokenError:
        fail(401, "Could not validate credentials", challenge)
    with state.lock:
        user = state.users.get(claims["sub"])
        if user is None:
            if not state.users:
                return Caller(claims["sub"], True)
            fail(401, "Could not validate credentials", challenge)
        return _caller(user)


def domain_for(
    caller: Caller, name: str, denied: tuple[int, str] = (403, "Permission denied")
) -> Domain:
    """The domain if the caller may act on it (admin, or granted by /allows/). Hold the lock."""
    state = sim()
    if not caller.is_admin and (caller.name, name) not in state.allows:
        fail(*denied)
    domain = state.domains.get(name)
    if domain is None:
        fail(404, "Domain not found")
    return domain

"""Token, users and grants (`/token/`, `/users/`, `/allows/`).

Admins may do everything. On current servers, non-admin accounts act by their `perms`:
`new_domain` creates domains and grants itself the ones it created, `create_users` creates
non-admin users (with no more perms than its own), `manage_users` grants other non-admin users
the domains it is granted itself. Older builds have no perms: non-admins get 403 here.
"""

from __future__ import annotations

from flask import jsonify

from .state import User
from .web import Caller, api, basic_admin, basic_user, body, domain_name, fail, issue_token, sim


@api.get("/token/")
def get_token():
    caller = basic_user()
    return jsonify({"access_token": issue_token(caller.name), "token_type": "bearer"})


def _may_create_user(caller: Caller, is_admin: bool, perms: list[str]) -> bool:
    if caller.is_admin:
        return True
    if not sim().gen.perms or not caller.may("create_users") or is_admin:
        return False
    return set(perms) <= caller.perms


@api.post("/users/")
def post_user():
    caller = basic_user()
    if not caller.is_admin and not (sim().gen.perms and caller.may("create_users")):
        fail(403, "Permission denied")
    fields = {"name": ("str", True), "password": ("str", True), "is_admin": ("bool", True)}
    if sim().gen.perms:
        fields["perms"] = ("perms", False)
    data = body(fields)
    perms = data.get("perms", [])
    if not _may_create_user(caller, data["is_admin"], perms):
        fail(403, "Permission denied")
    state = sim()
    with state.lock:
        if data["name"] in state.users:
            fail(409, "User already exists")
        user = User(data["name"], data["password"], data["is_admin"], list(dict.fromkeys(perms)))
        state.users[user.name] = user
        state.created(f"user:{user.name}")
        return jsonify(user.as_api(state.gen.perms)), 201


@api.get("/users/")
def get_users():
    basic_admin()
    state = sim()
    with state.lock:
        return jsonify([user.as_api(state.gen.perms) for user in state.users.values()])


def _may_grant(caller: Caller, user: User, domain: str) -> bool:
    state = sim()
    if caller.is_admin:
        return True
    if not state.gen.perms or user.is_admin:
        return False
    if user.name == caller.name:
        return caller.may("new_domain") and state.domains[domain].creator == caller.name
    return caller.may("manage_users") and (caller.name, domain) in state.allows


@api.post("/allows/")
def post_allow():
    caller = basic_user() if sim().gen.perms else basic_admin()
    data = body({"user": ("str", True), "domain": ("str", True)})
    state = sim()
    with state.lock:
        name, domain = data["user"], domain_name(data["domain"])
        user = state.users.get(name)
        if user is None:
            fail(404, "User not found")
        if domain not in state.domains:
            fail(404, "Domain not found")
        if not _may_grant(caller, user, domain):
            fail(403, "Permission denied")
        if (name, domain) in state.allows:
            fail(409, "Domain already allowed for this user")
        state.allows.add((name, domain))
        state.created(f"allow:{name}>{domain}")
        return jsonify({"user": name, "domain": domain}), 201


@api.get("/allows/")
def get_allows():
    basic_admin()
    with sim().lock:
        return jsonify([{"user": u, "domain": d} for u, d in sorted(sim().allows)])

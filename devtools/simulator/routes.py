"""dimail's routes, as DIMAIL.md describes them.

`api` holds what every server generation has; `current_only` what only current servers have
(an older simulator does not register it, so those paths answer 404 {"detail": "Not Found"}).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, jsonify, request

from . import checks
from .state import Domain, Mailbox, User
from .web import (
    ApiError,
    basic_admin,
    basic_user,
    bearer_user,
    body,
    domain_for,
    fail,
    issue_token,
    sim,
)

api = Blueprint("dimail_api", __name__)
current_only = Blueprint("dimail_current_only", __name__)

MAILBOX_BODY = {"givenName": ("str", True), "surName": ("str", True), "displayName": ("str", True)}


def _name(value: str) -> str:
    return value.strip().lower().rstrip(".")


def _password() -> str:
    return secrets.token_urlsafe(12)


def _internal_error() -> Response:
    """What dimail answers on duplicates and unknown domains: FastAPI's bare 500."""
    return Response("Internal Server Error", status=500, mimetype="text/plain")


def _created(payload, status: int = 201) -> tuple[Response, int]:
    return jsonify(payload), status


# ------------------------------------------------------------------- token, users, allows


@api.get("/token/")
def get_token():
    caller = basic_user()
    return jsonify({"access_token": issue_token(caller.name), "token_type": "bearer"})


@api.post("/users/")
def post_user():
    basic_admin()
    data = body({"name": ("str", True), "password": ("str", True), "is_admin": ("bool", True)})
    state = sim()
    with state.lock:
        if data["name"] in state.users:
            fail(409, "User already exists")
        user = User(data["name"], data["password"], data["is_admin"])
        state.users[user.name] = user
        state.created(f"user:{user.name}")
        return _created(user.as_api())


@api.get("/users/")
def get_users():
    basic_admin()
    with sim().lock:
        return jsonify([user.as_api() for user in sim().users.values()])


@api.post("/allows/")
def post_allow():
    basic_admin()
    data = body({"user": ("str", True), "domain": ("str", True)})
    state = sim()
    with state.lock:
        user, domain = data["user"], _name(data["domain"])
        if user not in state.users:
            fail(404, "User not found")
        if domain not in state.domains:
            fail(404, "Domain not found")
        if (user, domain) in state.allows:
            fail(409, "Permission already exists")
        state.allows.add((user, domain))
        state.created(f"allow:{user}>{domain}")
        return _created({"user": user, "domain": domain})


@api.get("/allows/")
def get_allows():
    basic_admin()
    with sim().lock:
        return jsonify([{"user": u, "domain": d} for u, d in sorted(sim().allows)])


# -------------------------------------------------------------------------------- domains

DOMAIN_BODY = {
    "name": ("str", True),
    "features": ("features", True),
    "context_name": ("str?", True),
    "mailbox_domain": ("str?", False),
    "webmail_domain": ("str?", False),
    "imap_domains": ("list[str]?", False),
    "smtp_domains": ("list[str]?", False),
}


@api.post("/domains/")
def post_domain():
    basic_admin()
    fields = dict(DOMAIN_BODY)
    if sim().generation == "current":
        fields["delivery"] = ("str", False)
    data = body(fields)
    name = _name(data.pop("name"))
    if not name:
        fail(422, "Domain name is empty")
    if "webmail" in data["features"] and not data["context_name"]:
        fail(409, "A domain with webmail needs a context_name")
    state = sim()
    with state.lock:
        if name in state.domains:
            fail(409, "Domain already exists")
        context_name = data.pop("context_name")
        options = {key: value for key, value in data.items() if value is not None}
        domain = Domain(name=name, context_name=context_name, **options)
        domain.features = list(dict.fromkeys(domain.features))
        state.domains[name] = domain
        state.created(f"domain:{name}")
        return _created(domain.as_api())


@api.get("/domains/")
def get_domains():
    basic_admin()
    with sim().lock:
        return jsonify([domain.as_api() for domain in sim().domains.values()])


@api.get("/domains/<name>")
def get_domain(name):
    caller = bearer_user()
    with sim().lock:
        return jsonify(domain_for(caller, _name(name), denied=(401, "Not authorized.")).as_api())


@current_only.get("/domains/<name>/check/")
def check_domain(name):
    caller = basic_user()
    with sim().lock:
        return jsonify(checks.report(domain_for(caller, _name(name))))


@current_only.get("/domains/<name>/fix/")
def fix_domain(name):
    caller = basic_user()
    with sim().lock:
        domain = domain_for(caller, _name(name))
        checks.fix(domain)
        return jsonify(checks.report(domain))


@current_only.get("/domains/<name>/spec/")
def domain_spec(name):
    caller = basic_user()
    with sim().lock:
        return jsonify(checks.spec(domain_for(caller, _name(name))))


# ------------------------------------------------------------------------------ mailboxes


def _mailbox_v1(domain: Domain, box: Mailbox) -> dict:
    return {
        "type": "mailbox",
        "status": "ok",
        "email": domain.email(box.local_part),
        "givenName": box.given_name,
        "surName": box.sur_name,
        "displayName": box.display_name,
    }


def _mailbox_v2(domain: Domain, box: Mailbox) -> dict:
    has_ox = "webmail" in domain.features
    extras = {}
    if has_ox:
        names = {
            "given_name": box.given_name,
            "sur_name": box.sur_name,
            "display_name": box.display_name,
        }
        extras["ox"] = names
    return {
        "type": "mailbox",
        "active": "yes" if box.active else "no",
        "email": domain.email(box.local_part),
        "features": ["ox"] if has_ox else [],
        "extras": extras,
    }


def _mailbox(domain: Domain, local_part: str) -> Mailbox:
    box = domain.mailboxes.get(_name(local_part))
    if box is None:
        fail(404, "Mailbox not found")
    return box


@api.post("/domains/<d>/mailboxes/<local_part>")
def post_mailbox(d, local_part):
    caller = bearer_user()
    data = body(MAILBOX_BODY)
    state = sim()
    with state.lock:
        try:
            domain = domain_for(caller, _name(d))
        except ApiError as exc:
            if exc.status == 404:  # dimail fails on an unknown domain, it does not say so
                return _internal_error()
            raise
        local = _name(local_part)
        if not local or local in domain.mailboxes:
            return _internal_error()
        box = Mailbox(local, data["givenName"], data["surName"], data["displayName"])
        domain.mailboxes[local] = box
        state.created(f"mailbox:{domain.email(local)}")
        password = _password()
        return _created({"email": domain.email(local), "password": password, "uuid": box.uuid})


@api.get("/domains/<d>/mailboxes/")
def get_mailboxes(d):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        return jsonify([_mailbox_v1(domain, box) for box in domain.mailboxes.values()])


@current_only.get("/v2/domains/<d>/mailboxes/")
def get_mailboxes_v2(d):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        return jsonify([_mailbox_v2(domain, box) for box in domain.mailboxes.values()])


@api.get("/domains/<d>/mailboxes/<local_part>")
def get_mailbox(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        return jsonify(_mailbox_v1(domain, _mailbox(domain, local_part)))


@api.patch("/domains/<d>/mailboxes/<local_part>")
def patch_mailbox(d, local_part):
    caller = bearer_user()
    fields = {name: ("str?", False) for name in ("givenName", "surName", "displayName")}
    fields.update({"user_name": ("str?", False), "domain": ("str?", False)})
    current = sim().generation == "current"
    if current:
        fields["active"] = ("yes/no?", False)
    data = body(fields)
    if data.get("user_name") is not None or data.get("domain") is not None:
        fail(422, "Not yet implemented")
    with sim().lock:
        domain = domain_for(caller, _name(d))
        box = _mailbox(domain, local_part)
        for key, attribute in (
            ("givenName", "given_name"),
            ("surName", "sur_name"),
            ("displayName", "display_name"),
        ):
            if data.get(key) is not None:
                setattr(box, attribute, data[key])
        if data.get("active") is not None:
            box.active = data["active"] == "yes"
        return jsonify(_mailbox_v1(domain, box))


@api.delete("/domains/<d>/mailboxes/<local_part>")
def delete_mailbox(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        box = _mailbox(domain, local_part)
        del domain.mailboxes[box.local_part]
        return Response(status=204)


@current_only.post("/domains/<d>/mailboxes/<local_part>/reset_password/")
def reset_password(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        box = _mailbox(domain, local_part)
        return jsonify({"email": domain.email(box.local_part), "password": _password()})


@current_only.post("/domains/<d>/mailboxes/<local_part>/code")
def login_code(d, local_part):
    caller = bearer_user()
    data = body({"expires_in": ("int", False), "maxuse": ("int", False)})
    expires_in, maxuse = data.get("expires_in", 3600), data.get("maxuse", 1)
    if expires_in <= 0 or maxuse <= 0:
        fail(422, "expires_in and maxuse must be positive")
    with sim().lock:
        domain = domain_for(caller, _name(d))
        box = _mailbox(domain, local_part)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        return jsonify(
            {
                "email": domain.email(box.local_part),
                "code": secrets.token_urlsafe(24),
                "expires_at": expires_at.isoformat(timespec="seconds"),
                "expires_in": expires_in,
                "maxuse": maxuse,
                "nbuse": 0,
            }
        )


@current_only.get("/domains/<d>/address/<local_part>/")
def probe_address(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        local = _name(local_part)
        box = domain.mailboxes.get(local)
        destinations = [dest for (name, dest) in domain.aliases if name == local]
        if box is None and not destinations:
            fail(404, "Address not found")
        is_ox = box is not None and "webmail" in domain.features
        email = domain.email(local)
        return jsonify(
            {
                "domain_name": domain.name,
                "user_name": local,
                "is_alias": bool(destinations),
                "is_mailbox": box is not None,
                "is_ox": is_ox,
                "ox_primary_email": email if is_ox else None,
                "ox_senders": [email] if is_ox else [],
            }
        )


# -------------------------------------------------------------------------------- aliases


def _alias(domain: Domain, local: str, destination: str) -> dict:
    return {
        "username": local,
        "domain": domain.name,
        "destination": destination,
        "allow_to_send": False,
    }


@api.post("/domains/<d>/aliases/")
def post_alias(d):
    caller = bearer_user()
    data = body({"user_name": ("str", True), "destination": ("str", True)})
    local, destination = _name(data["user_name"]), data["destination"].strip().lower()
    if not local or "@" not in destination:
        fail(422, "user_name must be a local part and destination an address")
    state = sim()
    with state.lock:
        domain = domain_for(caller, _name(d))
        if (local, destination) in domain.aliases:
            fail(409, "Alias already exists")
        domain.aliases[(local, destination)] = None
        state.created(f"alias:{domain.email(local)}>{destination}")
        status = 201 if state.generation == "current" else 200
        return _created(_alias(domain, local, destination), status)


@api.get("/domains/<d>/aliases/")
def get_aliases(d):
    caller = bearer_user()
    local = _name(request.args.get("user_name", ""))
    destination = request.args.get("destination", "").strip().lower()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        found = [
            _alias(domain, name, dest)
            for name, dest in domain.aliases
            if (not local or name == local) and (not destination or dest == destination)
        ]
        if local and destination and not found:
            fail(404, "Alias not found")
        return jsonify(found)


@api.delete("/domains/<d>/aliases/<local_part>/<destination>")
def delete_alias(d, local_part, destination):
    caller = bearer_user()
    local, destination = _name(local_part), destination.strip().lower()
    with sim().lock:
        domain = domain_for(caller, _name(d))
        if destination == "all":
            doomed = [pair for pair in domain.aliases if pair[0] == local]
        else:
            doomed = [(local, destination)] if (local, destination) in domain.aliases else []
        if not doomed:
            fail(404, "Alias not found")
        for pair in doomed:
            del domain.aliases[pair]
        return Response(status=204)

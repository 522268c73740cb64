"""Mailboxes (v1 and v2 lists, create, read, patch, delete, reset_password/, code) and the
address probe.

In the current generation the real webmail's rule holds: a display name is unique in one OX
context (all the domains sharing a `context_name`). A creation that breaks it answers the
plain-text 500 and leaves a trace that `address/{local_part}/` reveals, as real servers do:
`is_ox` true with `ox_primary_email` the address of the mailbox holding that name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from secrets import token_urlsafe

from flask import jsonify

from .state import Domain, Mailbox, key
from .web import (
    ApiError,
    api,
    bearer_user,
    body,
    clean_local,
    current_only,
    domain_for,
    domain_name,
    fail,
    internal_error,
    no_content,
    sim,
)

MAILBOX_BODY = {"givenName": ("str", True), "surName": ("str", True), "displayName": ("str", True)}
# The technical account every OX context has; dimail lists it, broken, with the real ones.
OX_ADMIN = Mailbox("oxadmin", "Admin", "Context", "Context Admin")


def _password() -> str:
    return token_urlsafe(12)


def _v1(domain: Domain, box: Mailbox, status: str = "ok") -> dict:
    return {
        "type": "mailbox",
        "status": status,
        "email": domain.email(box.local_part),
        "givenName": box.given_name,
        "surName": box.sur_name,
        "displayName": box.display_name,
    }


def _v2(domain: Domain, box: Mailbox) -> dict:
    extras = {}
    if domain.has_ox:
        extras["ox"] = {
            "given_name": box.given_name,
            "sur_name": box.sur_name,
            "display_name": box.display_name,
        }
    return {
        "type": "mailbox",
        "active": "yes" if box.active else "no",
        "email": domain.email(box.local_part),
        "features": ["ox"] if domain.has_ox else [],
        "extras": extras,
    }


def _mailbox(domain: Domain, local: str) -> Mailbox:
    box = domain.mailboxes.get(key(clean_local(local)))
    if box is None:
        fail(404, "Mailbox not found")
    return box


def _name_taken(domain: Domain, display_name: str | None, box_key: str) -> str | None:
    """The holder's address when the webmail would refuse this display name."""
    state = sim()
    if display_name is None or not state.gen.display_name_rule:
        return None
    return state.display_name_holder(domain, display_name, but=box_key)


@api.post("/domains/<d>/mailboxes/<local_part>")
def post_mailbox(d, local_part):
    caller = bearer_user()
    data = body(MAILBOX_BODY)
    state = sim()
    with state.lock:
        try:
            domain = domain_for(caller, domain_name(d), denied=(403, "Permisison denied"))
        except ApiError as exc:
            if exc.status == 404:  # dimail fails on an unknown domain, it does not say so
                return internal_error()
            raise
        local = clean_local(local_part)
        box_key = key(local)
        taken_by_ox = domain.has_ox and box_key == key(OX_ADMIN.local_part)
        if not local or box_key in domain.mailboxes or taken_by_ox:
            return internal_error()
        holder = _name_taken(domain, data["displayName"], box_key)
        if holder is not None:
            domain.ox_clashes[box_key] = holder
            return internal_error()
        box = Mailbox(local, data["givenName"], data["surName"], data["displayName"])
        domain.mailboxes[box_key] = box
        domain.ox_clashes.pop(box_key, None)
        state.created(f"mailbox:{domain.email(local)}")
        answer = {"email": domain.email(local), "password": _password(), "uuid": box.uuid}
        return jsonify(answer), 201


@api.get("/domains/<d>/mailboxes/")
def get_mailboxes(d):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        listed = [_v1(domain, box) for box in domain.mailboxes.values()]
        if domain.has_ox:
            listed.append(_v1(domain, OX_ADMIN, status="broken"))
        return jsonify(listed)


@current_only.get("/v2/domains/<d>/mailboxes/")
def get_mailboxes_v2(d):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        listed = [_v2(domain, box) for box in domain.mailboxes.values()]
        if domain.has_ox:
            listed.append(_v2(domain, OX_ADMIN))
        return jsonify(listed)


@api.get("/domains/<d>/mailboxes/<local_part>")
def get_mailbox(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        return jsonify(_v1(domain, _mailbox(domain, local_part)))


@api.patch("/domains/<d>/mailboxes/<local_part>")
def patch_mailbox(d, local_part):
    caller = bearer_user()
    state = sim()
    fields = {name: ("str?", False) for name in ("givenName", "surName", "displayName")}
    fields.update({"user_name": ("str?", False), "domain": ("str?", False)})
    if state.gen.patch_active:
        fields["active"] = ("yes/no?", False)
    data = body(fields)  # older builds drop "active" with the other unknown keys
    if data.get("user_name") is not None or data.get("domain") is not None:
        fail(422, "Not yet implemented")
    with state.lock:
        domain = domain_for(caller, domain_name(d))
        box = _mailbox(domain, local_part)
        if _name_taken(domain, data.get("displayName"), key(box.local_part)) is not None:
            return internal_error()
        for field, attribute in (
            ("givenName", "given_name"),
            ("surName", "sur_name"),
            ("displayName", "display_name"),
        ):
            if data.get(field) is not None:
                setattr(box, attribute, data[field])
        if data.get("active") is not None:
            box.active = data["active"] == "yes"
        return jsonify(_v1(domain, box))


@api.delete("/domains/<d>/mailboxes/<local_part>")
def delete_mailbox(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        box = _mailbox(domain, local_part)
        del domain.mailboxes[key(box.local_part)]
        return no_content()


@current_only.post("/domains/<d>/mailboxes/<local_part>/reset_password/")
def reset_password(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
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
        domain = domain_for(caller, domain_name(d))
        box = _mailbox(domain, local_part)
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        return jsonify(
            {
                "email": domain.email(box.local_part),
                "code": token_urlsafe(24),
                "expires_at": int(expires_at.timestamp()),
                "expires_in": expires_in,
                "maxuse": maxuse,
                "nbuse": 0,
            }
        )


@current_only.get("/domains/<d>/address/<local_part>/")
def probe_address(d, local_part):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        local = clean_local(local_part)
        box_key = key(local)
        box = domain.mailboxes.get(box_key)
        is_alias = any(alias_key == box_key for alias_key, _ in domain.aliases)
        clash = None if box is not None else domain.ox_clashes.get(box_key)
        if box is None and not is_alias and clash is None:
            fail(404, "Address not found")
        owns_ox = box is not None and domain.has_ox
        ox_primary = domain.email(box.local_part) if owns_ox else clash
        return jsonify(
            {
                "domain_name": domain.name,
                "user_name": box.local_part if box is not None else local,
                "is_alias": is_alias,
                "is_mailbox": box is not None,
                "is_ox": ox_primary is not None,
                "ox_primary_email": ox_primary,
                "ox_senders": [ox_primary] if ox_primary else [],
            }
        )

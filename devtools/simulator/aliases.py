"""Aliases: a local part may have several destinations and may equal a mailbox's."""

from __future__ import annotations

from flask import jsonify, request

from .state import Domain, key
from .web import api, bearer_user, body, clean_local, domain_for, domain_name, fail, no_content, sim


def _pair(local: str, destination: str) -> tuple[str, str]:
    return key(local), destination.casefold()


def _alias(domain: Domain, local: str, destination: str) -> dict:
    answer = {"username": local, "domain": domain.name, "destination": destination}
    if sim().gen.allow_to_send:
        answer["allow_to_send"] = False
    return answer


@api.post("/domains/<d>/aliases/")
def post_alias(d):
    caller = bearer_user()
    data = body({"user_name": ("str", True), "destination": ("str", True)})
    local, destination = clean_local(data["user_name"]), data["destination"].strip()
    if not local or "@" not in destination:
        fail(422, "user_name must be a local part and destination an address")
    state = sim()
    with state.lock:
        domain = domain_for(caller, domain_name(d))
        pair = _pair(local, destination)
        if pair in domain.aliases:
            fail(409, "Alias already exists")
        domain.aliases[pair] = (local, destination)
        state.created(f"alias:{domain.email(local)}>{destination}")
        return jsonify(_alias(domain, local, destination)), state.gen.alias_created_status


@api.get("/domains/<d>/aliases/")
def get_aliases(d):
    caller = bearer_user()
    local = clean_local(request.args.get("user_name", ""))
    destination = request.args.get("destination", "").strip()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        if destination and not local:
            fail(412, "It is forbiden to only provide the destination in a request")
        found = [
            _alias(domain, name, dest)
            for (name_key, dest_key), (name, dest) in domain.aliases.items()
            if (not local or name_key == key(local))
            and (not destination or dest_key == destination.casefold())
        ]
        if local and destination and not found:
            fail(404, "Alias not found")
        return jsonify(found)


@api.delete("/domains/<d>/aliases/<local_part>/<destination>")
def delete_alias(d, local_part, destination):
    caller = bearer_user()
    local, destination = clean_local(local_part), destination.strip()
    with sim().lock:
        domain = domain_for(caller, domain_name(d))
        if destination == "all":
            doomed = [pair for pair in domain.aliases if pair[0] == key(local)]
        else:
            pair = _pair(local, destination)
            doomed = [pair] if pair in domain.aliases else []
        if not doomed:
            fail(404, "Not found")
        for pair in doomed:
            del domain.aliases[pair]
        return no_content()

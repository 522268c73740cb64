"""Domains: creation, reads, and (by generation) check, fix/ and spec/."""

from __future__ import annotations

from flask import jsonify

from . import checks
from .state import Domain
from .web import (
    api,
    basic_admin,
    basic_user,
    bearer_user,
    body,
    current_only,
    domain_for,
    domain_name,
    fail,
    sim,
    with_check,
)

DOMAIN_BODY = {
    "name": ("str", True),
    "features": ("features", True),
    "context_name": ("str?", True),
    "mailbox_domain": ("str?", False),
    "webmail_domain": ("str?", False),
    "imap_domains": ("list[str]?", False),
    "smtp_domains": ("list[str]?", False),
}


def _read(domain: Domain) -> dict:
    """A domain as GET /domains/ and GET /domains/{name} show it: every build seen answers
    `context_name: null` there, whatever the creation set."""
    if sim().gen.checks_in_domain:
        return checks.domain_with_checks(domain, context_name=None)
    return {**domain.as_api(), "context_name": None}


def _check(domain: Domain) -> dict:
    """Run the checks and answer them in this generation's shape."""
    state = sim()
    checks.run(domain, state.dns, internal=not state.gen.checks_in_domain)
    if state.gen.checks_in_domain:
        return checks.domain_with_checks(domain, context_name=None)
    return checks.report(domain)


@api.post("/domains/")
def post_domain():
    caller = basic_user()
    state = sim()
    if not caller.is_admin and not (state.gen.perms and caller.may("new_domain")):
        fail(403, "Permission denied")
    fields = dict(DOMAIN_BODY)
    if state.gen.name == "current":
        fields["delivery"] = ("str", False)
    data = body(fields)
    name = domain_name(data.pop("name"))
    if not name:
        fail(422, "Domain name is empty")
    if "webmail" in data["features"] and not data["context_name"]:
        # Recorded as is: the message names the mailbox feature, the rule is webmail's.
        fail(409, "OX context name is mandatory for mailbox feature")
    with state.lock:
        if name in state.domains:
            fail(409, "Domain already exists")
        context_name = data.pop("context_name")
        options = {key: value for key, value in data.items() if value is not None}
        dns_ok, platform_ok = checks.health_at_creation(name, state.dns)
        domain = Domain(
            name=name,
            context_name=context_name,
            dns_ok=dns_ok,
            platform_ok=platform_ok,
            creator=caller.name,
            **options,
        )
        domain.features = list(dict.fromkeys(domain.features))
        state.domains[name] = domain
        state.created(f"domain:{name}")
        if state.gen.checks_in_domain:
            answer = checks.domain_with_checks(domain, context_name=context_name)
        else:
            answer = domain.as_api()
        if state.gen.check:
            # dimail checks a new domain in a background task, after its answer ("new"): the
            # recorded GET /domains/ that follows already shows the results.
            checks.run(domain, state.dns, internal=not state.gen.checks_in_domain)
        return jsonify(answer), 201


@api.get("/domains/")
def get_domains():
    basic_admin()
    with sim().lock:
        return jsonify([_read(domain) for domain in sim().domains.values()])


@api.get("/domains/<name>")
def get_domain(name):
    caller = bearer_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(name), denied=(401, "Not authorized."))
        return jsonify(_read(domain))


@current_only.delete("/domains/<name>")
def delete_domain(name):
    basic_admin()
    fail(*sim().gen.delete_domain)


@with_check.get("/domains/<name>/check")
def check_domain(name):
    caller = basic_user()
    with sim().lock:
        return jsonify(_check(domain_for(caller, domain_name(name))))


@current_only.get("/domains/<name>/fix/")
def fix_domain(name):
    caller = basic_user()
    with sim().lock:
        domain = domain_for(caller, domain_name(name))
        checks.fix(domain)
        return jsonify(_check(domain))


@current_only.get("/domains/<name>/spec/")
def domain_spec(name):
    caller = basic_user()
    with sim().lock:
        return jsonify(checks.spec(domain_for(caller, domain_name(name))))

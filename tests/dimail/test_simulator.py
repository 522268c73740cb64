"""The dimail simulator over real HTTP: contract, deterministic checks, generations, faults.

The replay of the recorded real servers is in test_recordings_replay.py; these tests cover what
the recordings do not: the current generation, the DNS modes, the fault knobs."""

import base64
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from devtools.simulator import create_simulator, state_of
from devtools.simulator.faults import FaultError, from_environment
from devtools.simulator.state import GENERATIONS

TIMEOUT = 5
DOMAIN = {
    "name": "example.fr",
    "features": ["webmail", "mailbox", "alias"],
    "context_name": "example.fr",
    "delivery": "virtual",
}
PERSON = {"givenName": "Jane", "surName": "Doe", "displayName": "Jane Doe"}
EXTERNAL = ("domain_exist", "mx", "cname_imap", "cname_smtp", "cname_webmail", "spf", "dkim")
INTERNAL = ("postfix", "ox", "cert", "webmail_ok")


class Api:
    """Just enough of a client: Basic for admin routes, a Bearer token for the rest."""

    def __init__(self, sim, user=None, password=None):
        self.sim = sim
        self.auth = (user or sim.user, password or sim.password)
        self._token = None

    def basic(self, method, path, timeout=TIMEOUT, **kwargs):
        url = self.sim.url + path
        return requests.request(method, url, auth=self.auth, timeout=timeout, **kwargs)

    @property
    def token(self):
        if self._token is None:
            response = self.basic("GET", "/token/")
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def bearer(self, method, path, timeout=TIMEOUT, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"}
        url = self.sim.url + path
        return requests.request(method, url, headers=headers, timeout=timeout, **kwargs)

    def create_domain(self, name="example.fr", **changes):
        response = self.basic("POST", "/domains/", json={**DOMAIN, "name": name, **changes})
        assert response.status_code == 201, response.text
        return response.json()

    def create_mailbox(self, domain="example.fr", local="jane", person=PERSON):
        return self.bearer("POST", f"/domains/{domain}/mailboxes/{local}", json=person)


@pytest.fixture
def api(simulator):
    return Api(simulator)


def detail(response):
    return response.json()["detail"]


# ------------------------------------------------------------------------- auth and token


def test_token_is_a_47_minute_jwt_for_the_user(simulator, api):
    response = api.basic("GET", "/token/")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == simulator.user == "people"
    lifetime = claims["exp"] - datetime.now(UTC).timestamp()
    assert 46 * 60 < lifetime <= 47 * 60
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


def test_basic_auth_failures(simulator):
    url = simulator.url + "/token/"
    nobody = requests.get(url, timeout=TIMEOUT)
    assert nobody.status_code == 401
    assert detail(nobody) == "Not authenticated"
    assert nobody.headers["WWW-Authenticate"] == "Basic"
    for auth in (("people", "wrong"), ("stranger", "people")):
        denied = requests.get(url, auth=auth, timeout=TIMEOUT)
        assert denied.status_code == 403
        assert detail(denied) == "Permission denied"


def test_bearer_auth_failures(simulator, api):
    api.create_domain()
    url = simulator.url + "/domains/example.fr"

    missing = requests.get(url, timeout=TIMEOUT)
    assert (missing.status_code, detail(missing)) == (401, "Not authenticated")

    basic = requests.get(url, auth=api.auth, timeout=TIMEOUT)
    assert (basic.status_code, detail(basic)) == (403, "Invalid authentication credentials")

    other_key = "not-the-simulator-key-but-long-enough-for-hs256"
    forged = jwt.encode({"sub": "people", "exp": time.time() + 60}, other_key, "HS256")
    invalid = requests.get(url, headers={"Authorization": f"Bearer {forged}"}, timeout=TIMEOUT)
    assert invalid.status_code == 401

    past = datetime.now(UTC) - timedelta(minutes=1)
    stale = jwt.encode({"sub": "people", "exp": past}, simulator.sim.secret, "HS256")
    expired = requests.get(url, headers={"Authorization": f"Bearer {stale}"}, timeout=TIMEOUT)
    assert expired.status_code == 401

    assert api.bearer("GET", "/domains/example.fr").status_code == 200


def test_non_admin_needs_a_grant(simulator, api):
    api.create_domain()
    created = api.basic(
        "POST", "/users/", json={"name": "app", "password": "secret", "is_admin": False}
    )
    assert created.status_code == 201
    assert created.json()["name"] == "app" and created.json()["is_admin"] is False
    again = api.basic("POST", "/users/", json={"name": "app", "password": "x", "is_admin": False})
    assert again.status_code == 409

    app = Api(simulator, "app", "secret")
    assert app.basic("GET", "/domains/").status_code == 403
    assert detail(app.basic("POST", "/domains/", json=DOMAIN)) == "Permission denied"
    not_allowed = app.bearer("GET", "/domains/example.fr")
    assert (not_allowed.status_code, detail(not_allowed)) == (401, "Not authorized.")
    assert app.bearer("GET", "/domains/example.fr/mailboxes/").status_code == 403
    assert app.basic("GET", "/domains/example.fr/check").status_code == 403

    grant = {"user": "app", "domain": "example.fr"}
    assert api.basic("POST", "/allows/", json=grant).status_code == 201
    assert api.basic("POST", "/allows/", json=grant).status_code == 409
    unknown = api.basic("POST", "/allows/", json={"user": "ghost", "domain": "example.fr"})
    assert unknown.status_code == 404
    assert app.bearer("GET", "/domains/example.fr").status_code == 200
    assert app.create_mailbox().status_code == 201
    assert app.basic("GET", "/domains/example.fr/check").status_code == 200


def test_bootstrap_lets_anyone_in_until_a_user_exists(make_simulator):
    sim = make_simulator(users=None)
    assert sim.user is None
    first = Api(sim, "anyone", "anything")
    user = {"name": "admin", "password": "pw", "is_admin": True}
    assert first.basic("POST", "/users/", json=user).status_code == 201
    assert first.basic("GET", "/domains/").status_code == 403
    assert Api(sim, "admin", "pw").basic("GET", "/domains/").status_code == 200


# -------------------------------------------------------------------------------- domains


def test_domain_create_conflict_list_get(simulator, api):
    echoed = api.create_domain()
    assert echoed == {
        "name": "example.fr",
        "features": ["webmail", "mailbox", "alias"],
        "mailbox_domain": None,
        "webmail_domain": None,
        "imap_domains": None,
        "smtp_domains": None,
        "context_name": "example.fr",
    }
    duplicate = api.basic("POST", "/domains/", json=DOMAIN)
    assert (duplicate.status_code, detail(duplicate)) == (409, "Domain already exists")
    webmail_only = {**DOMAIN, "name": "b.fr", "context_name": None}
    no_context = api.basic("POST", "/domains/", json=webmail_only)
    assert no_context.status_code == 409
    mail_only = {**webmail_only, "features": ["mailbox", "alias"]}
    created = api.basic("POST", "/domains/", json=mail_only)
    assert created.status_code == 201 and created.json()["context_name"] is None

    listed = api.basic("GET", "/domains/")
    assert [d["name"] for d in listed.json()] == ["example.fr", "b.fr"]
    # Reads answer context_name null whatever the creation set, as every recorded build does.
    assert api.bearer("GET", "/domains/example.fr").json() == {**echoed, "context_name": None}
    missing = api.bearer("GET", "/domains/nowhere.fr")
    assert (missing.status_code, detail(missing)) == (404, "Domain not found")
    deleted = api.basic("DELETE", "/domains/example.fr")
    assert (deleted.status_code, detail(deleted)) == (501, "Not implemented")
    assert simulator.creations("domain:") == {"domain:b.fr": 1, "domain:example.fr": 1}


def test_domain_validation_is_fastapi_like(api):
    bad_feature = api.basic("POST", "/domains/", json={**DOMAIN, "features": ["webmail", "fax"]})
    assert bad_feature.status_code == 422
    [error] = detail(bad_feature)
    assert error["loc"] == ["body", "features", 1]
    assert error["type"] == "enum"

    without_context = {k: v for k, v in DOMAIN.items() if k != "context_name"}
    missing = api.basic("POST", "/domains/", json=without_context)
    assert missing.status_code == 422
    assert [(e["loc"], e["msg"], e["type"]) for e in detail(missing)] == [
        (["body", "context_name"], "Field required", "missing")
    ]
    empty = api.basic("POST", "/domains/")
    assert empty.status_code == 422 and detail(empty)[0]["loc"] == ["body"]


def test_checks_pass_by_default(api):
    api.create_domain()
    report = api.basic("GET", "/domains/example.fr/check").json()
    assert report["name"] == "example.fr"
    assert (report["state"], report["valid"]) == ("ok", True)
    assert report["delivery"] == "virtual"
    assert report["features"] == DOMAIN["features"]
    assert report["context_name"] == "example.fr"
    assert "transport" in report
    for check in EXTERNAL + INTERNAL:
        assert report[check] == {"ok": True, "internal": check in INTERNAL, "errors": []}


def test_dns_domain_fails_externally_until_its_dns_is_fixed(simulator, api):
    api.create_domain("acme-dns.fr", context_name="acme-dns.fr")
    report = api.basic("GET", "/domains/acme-dns.fr/check").json()
    assert (report["state"], report["valid"]) == ("broken", False)
    failing = {
        name: [e["code"] for e in report[name]["errors"]]
        for name in EXTERNAL + INTERNAL
        if not report[name]["ok"]
    }
    assert failing == {
        "mx": ["wrong_mx"],
        "cname_webmail": ["no_cname_webmail"],
        "spf": ["wrong_spf"],
        "dkim": ["no_dkim"],
    }
    assert all(not report[name]["internal"] for name in failing)
    assert report["mx"]["errors"][0]["detail"].startswith("Le MX du domaine n'est pas")
    # fix/ only repairs the platform's side: the owner's DNS stays broken.
    assert api.basic("GET", "/domains/acme-dns.fr/fix/").json()["state"] == "broken"

    fixed = requests.post(
        f"{simulator.url}/_simulator/domains/acme-dns.fr/dns", json={"ok": True}, timeout=TIMEOUT
    )
    assert fixed.status_code == 200
    assert api.basic("GET", "/domains/acme-dns.fr/check").json()["state"] == "ok"

    simulator.set_dns("acme-dns.fr", False)
    assert api.basic("GET", "/domains/acme-dns.fr/check").json()["state"] == "broken"
    unknown = requests.post(
        f"{simulator.url}/_simulator/domains/nowhere.fr/dns", json={"ok": True}, timeout=TIMEOUT
    )
    assert unknown.status_code == 404


def test_the_owner_can_get_one_record_wrong(api, simulator):
    api.create_domain("acme.fr", context_name="acme.fr")
    answer = requests.post(
        f"{simulator.url}/_simulator/domains/acme.fr/dns",
        json={"ok": False, "wrong": ["spf"]},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    report = api.basic("GET", "/domains/acme.fr/check").json()
    assert [name for name in EXTERNAL if not report[name]["ok"]] == ["spf"]
    assert report["spf"]["errors"][0]["code"] == "wrong_spf"
    refused = requests.post(
        f"{simulator.url}/_simulator/domains/acme.fr/dns",
        json={"ok": False, "wrong": "spf"},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 422


def test_platform_domain_fails_internally_until_fix(api):
    api.create_domain("acme-platform.fr", context_name="acme-platform.fr")
    report = api.basic("GET", "/domains/acme-platform.fr/check").json()
    assert report["state"] == "broken"
    assert all(report[name]["ok"] for name in EXTERNAL)
    assert report["cert"]["ok"] is False and report["cert"]["internal"] is True
    assert report["cert"]["errors"][0]["code"] == "no_cert"

    repaired = api.basic("GET", "/domains/acme-platform.fr/fix/")
    assert repaired.status_code == 200
    assert (repaired.json()["state"], repaired.json()["valid"]) == ("ok", True)
    assert api.basic("GET", "/domains/acme-platform.fr/check").json()["state"] == "ok"


def test_spec_lists_the_records_to_publish(api):
    api.create_domain()
    records = api.basic("GET", "/domains/example.fr/spec/").json()
    by_target = {(r["target"], r["type"]): r["value"] for r in records}
    assert set(by_target) == {
        ("", "mx"),
        ("imap", "cname"),
        ("smtp", "cname"),
        ("webmail", "cname"),
        ("", "txt"),
        ("dimail._domainkey", "txt"),
    }
    assert by_target[("", "txt")].startswith("v=spf1 ")
    assert by_target[("dimail._domainkey", "txt")].startswith("v=DKIM1;")
    assert all(".example.net" in by_target[key] for key in by_target if key[1] != "txt")
    assert api.basic("GET", "/domains/nowhere.fr/spec/").status_code == 404


# ------------------------------------------------------------------------------ mailboxes


def test_mailbox_lifecycle(simulator, api):
    api.create_domain()
    created = api.create_mailbox()
    assert created.status_code == 201
    new = created.json()
    assert new["email"] == "jane@example.fr"
    assert len(new["password"]) >= 12 and new["uuid"]
    john = {"givenName": "John", "surName": "Roe", "displayName": "John Roe"}
    other = api.create_mailbox(local="john", person=john).json()
    assert other["password"] != new["password"]

    duplicate = api.create_mailbox()
    assert (duplicate.status_code, duplicate.text) == (500, "Internal Server Error")
    assert duplicate.headers["Content-Type"].startswith("text/plain")
    nowhere = api.create_mailbox(domain="nowhere.fr")
    assert (nowhere.status_code, nowhere.text) == (500, "Internal Server Error")
    incomplete = api.create_mailbox(local="max", person={"givenName": "Max"})
    assert incomplete.status_code == 422
    assert {tuple(e["loc"]) for e in detail(incomplete)} == {
        ("body", "surName"),
        ("body", "displayName"),
    }

    listed = api.bearer("GET", "/domains/example.fr/mailboxes/").json()
    assert listed[0] == {
        "type": "mailbox",
        "status": "ok",
        "email": "jane@example.fr",
        "givenName": "Jane",
        "surName": "Doe",
        "displayName": "Jane Doe",
    }
    # The context's technical account is listed too, broken, as dimail does.
    assert listed[-1]["email"] == "oxadmin@example.fr" and listed[-1]["status"] == "broken"
    assert len(listed) == 3
    v2 = api.bearer("GET", "/v2/domains/example.fr/mailboxes/").json()
    assert v2[0] == {
        "type": "mailbox",
        "active": "yes",
        "email": "jane@example.fr",
        "features": ["ox"],
        "extras": {"ox": {"given_name": "Jane", "sur_name": "Doe", "display_name": "Jane Doe"}},
    }

    path = "/domains/example.fr/mailboxes/jane"
    assert api.bearer("GET", path).json()["displayName"] == "Jane Doe"
    patched = api.bearer("PATCH", path, json={"displayName": "Jane D."})
    assert (patched.status_code, patched.json()["displayName"]) == (200, "Jane D.")
    rename = api.bearer("PATCH", path, json={"user_name": "janet"})
    assert (rename.status_code, detail(rename)) == (422, "Not yet implemented")

    assert api.bearer("PATCH", path, json={"active": "no"}).status_code == 200
    assert api.bearer("GET", "/v2/domains/example.fr/mailboxes/").json()[0]["active"] == "no"
    enable = {"active": "yes", **PERSON}
    assert api.bearer("PATCH", path, json=enable).status_code == 200
    assert simulator.state()["domains"]["example.fr"]["mailboxes"]["jane"]["active"] is True
    assert api.bearer("PATCH", path, json={"active": "maybe"}).status_code == 422

    reset = api.bearer("POST", path + "/reset_password/")
    assert reset.status_code == 200
    assert reset.json()["email"] == "jane@example.fr"
    assert reset.json()["password"] != new["password"]

    code = api.bearer("POST", path + "/code", json={"expires_in": 3600, "maxuse": 3}).json()
    assert code["email"] == "jane@example.fr" and code["code"]
    assert (code["expires_in"], code["maxuse"], code["nbuse"]) == (3600, 3, 0)
    assert isinstance(code["expires_at"], int)
    assert 3590 < code["expires_at"] - datetime.now(UTC).timestamp() <= 3600

    probe = api.bearer("GET", "/domains/example.fr/address/jane/")
    assert probe.status_code == 200
    assert probe.json()["is_mailbox"] is True and probe.json()["is_alias"] is False
    assert probe.json()["user_name"] == "jane" and probe.json()["domain_name"] == "example.fr"
    absent = api.bearer("GET", "/domains/example.fr/address/nobody/")
    assert absent.status_code == 404 and detail(absent) != "Not Found"

    assert api.bearer("DELETE", path).status_code == 204
    gone = api.bearer("GET", path)
    assert (gone.status_code, detail(gone)) == (404, "Mailbox not found")
    assert api.bearer("DELETE", path).status_code == 404
    assert api.bearer("POST", path + "/reset_password/").status_code == 404
    assert simulator.creations("mailbox:") == {
        "mailbox:jane@example.fr": 1,
        "mailbox:john@example.fr": 1,
    }


def test_concurrent_creations_are_each_counted_once(simulator, api):
    api.create_domain()
    api.token  # noqa: B018 - fetch it once, before the threads
    statuses = []

    def create(i):
        person = {**PERSON, "displayName": f"Jane Doe {i}"}  # unique in the OX context
        statuses.append(api.create_mailbox(local=f"user{i}", person=person).status_code)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 20
    assert set(simulator.creations("mailbox:").values()) == {1}
    assert len(simulator.state()["domains"]["example.fr"]["mailboxes"]) == 20


# -------------------------------------------------------------------------------- aliases


def test_alias_lifecycle(simulator, api):
    api.create_domain()
    path = "/domains/example.fr/aliases/"
    first = {"user_name": "contact", "destination": "jane@elsewhere.org"}
    created = api.bearer("POST", path, json=first)
    assert created.status_code == 201
    assert created.json() == {
        "username": "contact",
        "domain": "example.fr",
        "destination": "jane@elsewhere.org",
        "allow_to_send": False,
    }
    assert api.bearer("POST", path, json=first).status_code == 409
    second = {"user_name": "contact", "destination": "john@elsewhere.org"}
    assert api.bearer("POST", path, json=second).status_code == 201
    assert api.bearer("POST", path, json={"user_name": "contact"}).status_code == 422

    everything = api.bearer("GET", path).json()
    assert [a["destination"] for a in everything] == ["jane@elsewhere.org", "john@elsewhere.org"]
    exact = api.bearer("GET", path, params=first).json()
    assert [a["destination"] for a in exact] == ["jane@elsewhere.org"]
    by_name = api.bearer("GET", path, params={"user_name": "contact"}).json()
    assert len(by_name) == 2
    missing_pair = {"user_name": "contact", "destination": "nobody@elsewhere.org"}
    assert api.bearer("GET", path, params=missing_pair).status_code == 404

    probe = api.bearer("GET", "/domains/example.fr/address/contact/").json()
    assert probe["is_alias"] is True and probe["is_mailbox"] is False

    one = "/domains/example.fr/aliases/contact/jane@elsewhere.org"
    assert api.bearer("DELETE", one).status_code == 204
    assert api.bearer("DELETE", one).status_code == 404
    assert api.bearer("POST", path, json=first).status_code == 201
    assert api.bearer("DELETE", "/domains/example.fr/aliases/contact/all").status_code == 204
    assert api.bearer("GET", path).json() == []
    assert api.bearer("DELETE", "/domains/example.fr/aliases/contact/all").status_code == 404
    assert simulator.creations("alias:") == {
        "alias:contact@example.fr>jane@elsewhere.org": 2,
        "alias:contact@example.fr>john@elsewhere.org": 1,
    }


# ---------------------------------------------------------------------- routing generics


def test_missing_trailing_slash_answers_307(simulator, api):
    response = api.basic("GET", "/domains", allow_redirects=False)
    assert response.status_code == 307
    assert response.headers["Location"] == simulator.url + "/domains/"
    token = requests.get(simulator.url + "/token", auth=api.auth, timeout=TIMEOUT)
    assert token.status_code == 200 and token.history[0].status_code == 307
    # requests follows a 307 with the method and body intact.
    assert api.basic("POST", "/domains", json=DOMAIN).status_code == 201


def test_unknown_route_and_wrong_method(api):
    unknown = api.basic("GET", "/nothing/here")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})
    wrong = api.basic("PUT", "/token/")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})


def test_older_generation(make_simulator):
    old = make_simulator(generation="2024")
    api = Api(old)
    api.create_domain()
    assert api.create_mailbox().status_code == 201
    mailbox = "/domains/example.fr/mailboxes/jane"
    for method, path in [
        ("GET", "/domains/example.fr/check"),
        ("GET", "/domains/example.fr/check/"),
        ("GET", "/domains/example.fr/fix/"),
        ("GET", "/domains/example.fr/spec/"),
        ("GET", "/v2/domains/example.fr/mailboxes/"),
        ("POST", mailbox + "/reset_password/"),
        ("POST", mailbox + "/code"),
        ("GET", "/domains/example.fr/address/jane/"),
    ]:
        call = api.basic if path.endswith(("check", "check/", "fix/", "spec/")) else api.bearer
        response = call(method, path)
        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), path
    alias = {"user_name": "contact", "destination": "jane@elsewhere.org"}
    created = api.bearer("POST", "/domains/example.fr/aliases/", json=alias)
    assert created.status_code == 200
    assert created.json()["destination"] == "jane@elsewhere.org"
    # Older servers accept the enable/disable body but change nothing.
    assert api.bearer("PATCH", mailbox, json={"active": "no"}).status_code == 200
    assert old.state()["domains"]["example.fr"]["mailboxes"]["jane"]["active"] is True


# ------------------------------------------------------------------------- simulator admin


def test_state_counts_requests_per_route_template(simulator, api):
    api.create_domain()
    api.bearer("GET", "/domains/example.fr")
    api.bearer("GET", "/domains/example.fr")
    counts = simulator.state()["requests"]
    assert counts["GET /token/"] == 1
    assert counts["POST /domains/"] == 1
    assert counts["GET /domains/{name}"] == 2
    assert simulator.requests("GET /domains/{name}") == 2
    assert not any(key.split()[1].startswith("/_simulator") for key in counts)


def test_reset_forgets_everything(simulator, api):
    api.create_domain()
    simulator.faults(latency_ms=5)
    response = requests.post(simulator.url + "/_simulator/reset", timeout=TIMEOUT)
    assert response.status_code == 200
    state = simulator.state()
    assert state["domains"] == {} and state["creations"] == {} and state["requests"] == {}
    assert state["faults"]["latency_ms"] == 0
    assert [u["name"] for u in state["users"]] == ["people"]


def test_faults_endpoint(simulator):
    url = simulator.url + "/_simulator/faults"
    assert requests.get(url, timeout=TIMEOUT).json()["error_rate"] == 0
    changed = requests.post(url, json={"error_rate": 0.25, "seed": 3}, timeout=TIMEOUT)
    assert changed.status_code == 200
    assert changed.json()["error_rate"] == 0.25 and changed.json()["seed"] == 3
    for bad in ({"error_rate": 2}, {"nonsense": 1}, {"latency_ms": "slow"}, {"seed": 1.5}):
        assert requests.post(url, json=bad, timeout=TIMEOUT).status_code == 422, bad
    assert requests.get(url, timeout=TIMEOUT).json()["error_rate"] == 0.25


def test_faults_from_environment():
    knobs = from_environment(
        {"DIMAIL_SIM_LATENCY_MS": "200", "DIMAIL_SIM_ERROR_RATE": "0.1", "DIMAIL_SIM_SEED": "4"}
    )
    assert knobs == {"latency_ms": 200.0, "error_rate": 0.1, "seed": 4}
    assert from_environment({"DIMAIL_SIM_DROP_RATE": ""}) == {}
    with pytest.raises(FaultError):
        from_environment({"DIMAIL_SIM_TIMEOUT_RATE": "often"})
    with pytest.raises(FaultError):
        from_environment({"DIMAIL_SIM_ERROR_RATE": "1.5"})


def test_command_line_help():
    result = subprocess.run(
        [sys.executable, "-m", "devtools.simulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "--generation" in result.stdout and "--port" in result.stdout


# --------------------------------------------------------------------------------- faults


def test_error_rate_fails_before_any_effect(simulator, api):
    api.token  # noqa: B018 - fetched before the faults start
    simulator.faults(error_rate=1)
    for _ in range(6):
        response = api.basic("POST", "/domains/", json=DOMAIN)
        assert response.status_code in (500, 502)
        assert response.text in ("Internal Server Error", "Bad Gateway")
        assert response.headers["Content-Type"].startswith("text/plain")
    assert simulator.state()["domains"] == {}
    assert simulator.creations() == {}


def test_timeout_rate_makes_the_client_time_out(simulator, api):
    simulator.faults(timeout_rate=1, hang_seconds=2)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        api.basic("GET", "/token/", timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_drop_rate_closes_the_connection(simulator, api):
    simulator.faults(drop_rate=1)
    with pytest.raises(requests.ConnectionError):
        api.basic("POST", "/domains/", json=DOMAIN)
    assert simulator.state()["domains"] == {}


def test_fail_after_effect_answers_502_after_the_write(simulator, api):
    api.token  # noqa: B018
    simulator.faults(fail_after_effect_rate=1)
    response = api.basic("POST", "/domains/", json=DOMAIN)
    assert (response.status_code, response.text) == (502, "Bad Gateway")
    assert "example.fr" in simulator.state()["domains"]
    assert simulator.creations() == {"domain:example.fr": 1}
    # Reads are not writes: they still answer.
    assert api.basic("GET", "/domains/").status_code == 200
    # The retry a client makes finds the domain there: 409, never a second creation.
    assert api.basic("POST", "/domains/", json=DOMAIN).status_code == 409
    assert simulator.creations() == {"domain:example.fr": 1}


def test_latency_delays_every_answer(simulator, api):
    simulator.faults(latency_ms=300)
    started = time.monotonic()
    assert api.basic("GET", "/token/").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_faults_spare_the_simulator_endpoints(simulator):
    simulator.faults(error_rate=1, drop_rate=1, latency_ms=500)
    started = time.monotonic()
    response = requests.get(simulator.url + "/_simulator/state", timeout=TIMEOUT)
    assert response.status_code == 200
    assert time.monotonic() - started < 0.5


def test_seed_makes_faults_reproducible(simulator, api):
    def run():
        return [api.basic("GET", "/token/").status_code for _ in range(20)]

    simulator.faults(error_rate=0.5, seed=42)
    first = run()
    simulator.faults(seed=42)
    assert run() == first
    assert 200 in first and {500, 502} & set(first)
    simulator.faults(seed=7)
    assert run() != first


def test_faults_given_at_start(make_simulator):
    sim = make_simulator(error_rate=1)
    assert Api(sim).basic("GET", "/domains/").status_code in (500, 502)
    assert sim.state()["faults"]["hang_seconds"] == 2


# ----------------------------------------------------------------------------- generations


def test_generations_listed_and_unknown_ones_refused():
    assert set(GENERATIONS) == {"current", "2024-08-check", "2024"}
    with pytest.raises(ValueError, match="generation"):
        create_simulator(generation="2023")
    with pytest.raises(ValueError, match="dns"):
        create_simulator(dns="google")


def _domain_json(name, state, checks, features=("webmail", "mailbox", "alias"), context=None):
    return {
        "name": name,
        "state": state,
        "valid": state == "ok",
        "features": list(features),
        "mailbox_domain": None,
        "webmail_domain": None,
        "imap_domains": None,
        "smtp_domains": None,
        "context_name": context,
        **checks,
    }


def test_august_check_build_answers_checks_in_the_domain_json(make_simulator):
    sim = make_simulator(generation="2024-08-check", dns="none")
    api = Api(sim)
    created = api.create_domain()
    not_yet = {"ok": False, "errors": [{"code": "no_test", "detail": "Did not check yet"}]}
    assert created == _domain_json(
        "example.fr", "new", {c: not_yet for c in EXTERNAL}, context="example.fr"
    )
    # The check that runs right after the creation is what reads show from then on.
    must_exist = {"code": "must_exist", "detail": "Le domaine example.fr n'existe pas"}
    checked = {c: {"ok": True, "errors": []} for c in EXTERNAL}
    checked["domain_exist"] = {"ok": False, "errors": [must_exist]}
    expected = _domain_json("example.fr", "broken", checked)
    assert api.basic("GET", "/domains/").json() == [expected]
    assert api.bearer("GET", "/domains/example.fr").json() == expected
    assert api.basic("GET", "/domains/example.fr/check").json() == expected

    slash = api.basic("GET", "/domains/example.fr/check/", allow_redirects=False)
    assert slash.status_code == 307
    assert slash.headers["Location"] == sim.url + "/domains/example.fr/check"
    unknown = api.basic("GET", "/domains/nowhere.fr/check")
    assert (unknown.status_code, detail(unknown)) == (404, "Domain not found")
    for path in ("/domains/example.fr/fix/", "/domains/example.fr/spec/"):
        assert api.basic("GET", path).json() == {"detail": "Not Found"}
    deleted = api.basic("DELETE", "/domains/example.fr")
    assert (deleted.status_code, detail(deleted)) == (405, "Method Not Allowed")
    alias = {"user_name": "contact", "destination": "a@b.org"}
    made = api.bearer("POST", "/domains/example.fr/aliases/", json=alias)
    assert made.status_code == 200 and "allow_to_send" not in made.json()
    user = {"name": "x", "password": "x", "is_admin": False}
    assert "perms" not in api.basic("POST", "/users/", json=user).json()


def test_august_check_build_by_name_has_only_external_checks(make_simulator):
    api = Api(make_simulator(generation="2024-08-check"))
    api.create_domain("acme-dns.fr", context_name="acme-dns.fr")
    api.create_domain("acme-platform.fr", context_name="acme-platform.fr")
    broken = api.basic("GET", "/domains/acme-dns.fr/check").json()
    assert (broken["state"], broken["valid"]) == ("broken", False)
    assert [c for c in EXTERNAL if not broken[c]["ok"]] == ["mx", "cname_webmail", "spf", "dkim"]
    assert not any(name in broken for name in INTERNAL)
    assert all("internal" not in broken[c] for c in EXTERNAL)
    # No internal check there, so nothing for -platform to fail.
    assert api.basic("GET", "/domains/acme-platform.fr/check").json()["state"] == "ok"
    assert api.bearer("GET", "/domains/acme-platform.fr").json()["state"] == "ok"


def test_current_check_with_dns_none(make_simulator):
    sim = make_simulator(dns="none")
    api = Api(sim)
    api.create_domain()
    report = api.basic("GET", "/domains/example.fr/check").json()
    assert (report["state"], report["valid"]) == ("broken", False)
    assert report["domain_exist"] == {
        "ok": False,
        "internal": False,
        "errors": [{"code": "must_exist", "detail": "Le domaine example.fr n'existe pas"}],
    }
    for name in EXTERNAL[1:] + INTERNAL:  # not run: ok, no errors
        assert report[name] == {"ok": True, "internal": name in INTERNAL, "errors": []}
    sim.set_dns("example.fr", True)
    assert api.basic("GET", "/domains/example.fr/check").json()["state"] == "ok"
    assert sim.state()["dns"] == "none"


# ----------------------------------------------------------------------- exact like dimail


def test_a_slash_too_many_redirects_to_the_route(simulator, api):
    api.create_domain()
    api.create_mailbox()
    for method, path, call in (
        ("GET", "/domains/example.fr/check/", api.basic),
        ("GET", "/domains/example.fr/mailboxes/jane/", api.bearer),
        ("POST", "/domains/example.fr/mailboxes/john/", api.bearer),
    ):
        response = call(method, path, allow_redirects=False)
        assert response.status_code == 307, path
        assert response.headers["Location"] == simulator.url + path[:-1]
        assert response.content == b"" and "Content-Type" not in response.headers
    missing = api.bearer("GET", "/domains/example.fr/mailboxes", allow_redirects=False)
    assert missing.headers["Location"] == simulator.url + "/domains/example.fr/mailboxes/"
    nothing = api.basic("GET", "/nothing/here/")
    assert (nothing.status_code, nothing.json()) == (404, {"detail": "Not Found"})


def test_local_parts_keep_their_case(api):
    api.create_domain()
    made = api.create_mailbox(local="Mixed.Case")
    assert made.json()["email"] == "Mixed.Case@example.fr"
    # Found whatever the case, as a mail address is, and not created twice.
    assert api.bearer("GET", "/domains/example.fr/mailboxes/mixed.case").status_code == 200
    assert api.create_mailbox(local="MIXED.case").status_code == 500
    alias = {"user_name": "Contact", "destination": "Jane@Elsewhere.org"}
    created = api.bearer("POST", "/domains/example.fr/aliases/", json=alias).json()
    assert (created["username"], created["destination"]) == ("Contact", "Jane@Elsewhere.org")


def test_alias_queries_and_deletes_as_recorded(api):
    api.create_domain()
    path = "/domains/example.fr/aliases/"
    api.bearer("POST", path, json={"user_name": "contact", "destination": "a@b.org"})
    alone = api.bearer("GET", path, params={"destination": "a@b.org"})
    assert alone.status_code == 412
    assert detail(alone) == "It is forbiden to only provide the destination in a request"
    absent = api.bearer("DELETE", path + "contact/z@b.org")
    assert (absent.status_code, detail(absent)) == (404, "Not found")
    done = api.bearer("DELETE", path + "contact/a@b.org")
    assert done.status_code == 204 and done.headers["Content-Type"] == "application/json"


def test_v2_of_an_unknown_domain_says_so(api):
    missing = api.bearer("GET", "/v2/domains/nowhere.fr/mailboxes/")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Domain not found"})


def test_non_admin_refusals_as_recorded(make_simulator):
    sim = make_simulator(users={"admin": "admin", "client": {"password": "client"}})
    admin, client = Api(sim), Api(sim, "client", "client")
    admin.create_domain()
    refused = client.create_mailbox()
    assert (refused.status_code, detail(refused)) == (403, "Permisison denied")
    aliases = client.bearer("GET", "/domains/example.fr/aliases/")
    assert (aliases.status_code, detail(aliases)) == (403, "Permission denied")
    grant = {"user": "client", "domain": "example.fr"}
    assert admin.basic("POST", "/allows/", json=grant).status_code == 201
    again = admin.basic("POST", "/allows/", json=grant)
    assert (again.status_code, detail(again)) == (409, "Domain already allowed for this user")
    assert client.create_mailbox().status_code == 201


# ------------------------------------------------------------------------ perms and grants


def test_non_admin_with_new_domain_creates_and_grants_itself(make_simulator):
    users = {
        "admin": "admin",
        "people": {"password": "pw", "perms": ["new_domain"]},
        "plain": {"password": "pw"},
    }
    sim = make_simulator(users=users)
    people, plain, admin = Api(sim, "people", "pw"), Api(sim, "plain", "pw"), Api(sim)
    assert sim.user == "admin"
    listed = {u["name"]: u for u in admin.basic("GET", "/users/").json()}
    assert listed["people"]["is_admin"] is False and listed["people"]["perms"] == ["new_domain"]

    people.create_domain("people.fr", context_name="people.fr")
    # Created, but not granted yet: the domain's routes refuse it.
    assert people.bearer("GET", "/domains/people.fr").status_code == 401
    grant = {"user": "people", "domain": "people.fr"}
    assert people.basic("POST", "/allows/", json=grant).status_code == 201
    assert people.basic("POST", "/allows/", json=grant).status_code == 409
    assert people.bearer("GET", "/domains/people.fr").status_code == 200
    assert people.create_mailbox("people.fr").status_code == 201
    assert people.basic("GET", "/domains/").status_code == 403  # still not an admin

    # Neither someone else's domain, nor domains at all without the perm.
    admin.create_domain("other.fr", context_name="other.fr")
    grab = people.basic("POST", "/allows/", json={"user": "people", "domain": "other.fr"})
    assert (grab.status_code, detail(grab)) == (403, "Permission denied")
    assert plain.basic("POST", "/domains/", json=DOMAIN).status_code == 403


def test_users_get_perms_on_current_servers_only(make_simulator, api):
    user = {"name": "maker", "password": "pw", "is_admin": False, "perms": ["create_users"]}
    made = api.basic("POST", "/users/", json=user)
    assert made.status_code == 201 and made.json()["perms"] == ["create_users"]
    bad = api.basic("POST", "/users/", json={**user, "name": "bad", "perms": ["root"]})
    assert bad.status_code == 422 and detail(bad)[0]["loc"] == ["body", "perms", 0]
    maker = Api(api.sim, "maker", "pw")
    plain = {"name": "someone", "password": "pw", "is_admin": False}
    assert maker.basic("POST", "/users/", json=plain).status_code == 201
    assert (
        maker.basic("POST", "/users/", json={**plain, "name": "boss", "is_admin": True}).status_code
        == 403
    )

    old = Api(make_simulator(generation="2024"))
    answer = old.basic("POST", "/users/", json=user)
    assert answer.status_code == 201 and "perms" not in answer.json()


# -------------------------------------------------------------------- webmail display names


def test_display_name_taken_in_the_context_is_refused_and_revealed(api):
    api.create_domain()
    api.create_domain("sister.fr", context_name="example.fr")  # the same OX context
    api.create_domain("apart.fr", context_name="apart.fr")
    assert api.create_mailbox(local="jane").status_code == 201
    for domain in ("example.fr", "sister.fr"):
        refused = api.create_mailbox(domain=domain, local="jane.doe")
        assert (refused.status_code, refused.text) == (500, "Internal Server Error")
        probe = api.bearer("GET", f"/domains/{domain}/address/jane.doe/")
        assert probe.status_code == 200
        assert probe.json() == {
            "domain_name": domain,
            "user_name": "jane.doe",
            "is_alias": False,
            "is_mailbox": False,
            "is_ox": True,
            "ox_primary_email": "jane@example.fr",
            "ox_senders": ["jane@example.fr"],
        }
    assert api.create_mailbox(domain="apart.fr", local="jane.doe").status_code == 201
    other_name = {**PERSON, "displayName": "Jane Doe (2)"}
    assert api.create_mailbox(local="jane.doe", person=other_name).status_code == 201
    own = api.bearer("GET", "/domains/example.fr/address/jane.doe/").json()
    assert own["is_mailbox"] is True and own["ox_primary_email"] == "jane.doe@example.fr"
    # Renaming into a taken display name is refused the same way.
    path = "/domains/example.fr/mailboxes/jane.doe"
    assert api.bearer("PATCH", path, json={"displayName": "Jane Doe"}).status_code == 500

    api.bearer(
        "POST", "/domains/example.fr/aliases/", json={"user_name": "info", "destination": "a@b.org"}
    )
    alias = api.bearer("GET", "/domains/example.fr/address/info/").json()
    assert (alias["is_alias"], alias["is_mailbox"], alias["is_ox"]) == (True, False, False)
    unknown = api.bearer("GET", "/domains/example.fr/address/nobody/")
    assert unknown.status_code == 404


def test_display_names_are_free_on_older_builds(make_simulator):
    for generation in ("2024", "2024-08-check"):
        api = Api(make_simulator(generation=generation))
        api.create_domain()
        assert api.create_mailbox(local="jane").status_code == 201
        assert api.create_mailbox(local="jane.doe").status_code == 201


def test_command_line_knows_generations_and_dns_modes():
    result = subprocess.run(
        [sys.executable, "-m", "devtools.simulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "2024-08-check" in result.stdout and "--dns" in result.stdout


def test_a_state_file_keeps_what_the_simulator_had_across_a_restart(tmp_path):
    state_file = tmp_path / "dimail.state"
    first = create_simulator(state_file=state_file).test_client()
    admin = {"Authorization": "Basic " + base64.b64encode(b"people:people").decode()}
    body = {"name": "acme.fr", "features": ["mailbox", "alias"], "context_name": "acme.fr"}
    assert first.post("/domains/", json=body, headers=admin).status_code == 201
    token = first.get("/token/", headers=admin).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    names = {"givenName": "Jane", "surName": "Doe", "displayName": "Jane Doe"}
    assert (
        first.post("/domains/acme.fr/mailboxes/jane", json=names, headers=bearer).status_code == 201
    )

    again = create_simulator(state_file=state_file)  # a restart
    restarted = state_of(again)
    assert list(restarted.domains) == ["acme.fr"]
    assert "jane" in restarted.domains["acme.fr"].mailboxes
    # A file that does not exist yet: a simulator with nothing.
    assert state_of(create_simulator(state_file=tmp_path / "other.state")).domains == {}

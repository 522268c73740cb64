"""DimailClient over real HTTP against the dimail simulator, both server generations."""

import pytest

from webapp.dimail.client import (
    DimailAuthError,
    DimailClient,
    DimailConflict,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)

DOMAIN = "example.fr"


def client_for(sim, timeout=5.0, password=None) -> DimailClient:
    return DimailClient(sim.url, sim.user, password or sim.password, timeout=timeout)


@pytest.fixture
def client(simulator):
    with client_for(simulator) as client:
        yield client


@pytest.fixture
def domain(client):
    client.create_domain(DOMAIN)
    return DOMAIN


def test_domain_create_get_list_check_spec(simulator, client):
    created = client.create_domain(DOMAIN)
    assert created["name"] == DOMAIN
    assert created["context_name"] == DOMAIN  # each domain in its own context
    assert sorted(created["features"]) == ["alias", "mailbox", "webmail"]
    assert client.get_domain(DOMAIN)["name"] == DOMAIN
    assert [d["name"] for d in client.list_domains()] == [DOMAIN]
    with pytest.raises(DimailConflict):
        client.create_domain(DOMAIN)
    with pytest.raises(DimailNotFound):
        client.get_domain("nowhere.fr")

    report = client.check_domain(DOMAIN)
    assert (report["state"], report["valid"]) == ("ok", True)
    records = client.domain_spec(DOMAIN)
    assert {(r["target"], r["type"]) for r in records} >= {
        ("", "MX"),
        ("dimail._domainkey", "TXT"),
    }
    assert simulator.creations("domain:") == {f"domain:{DOMAIN}": 1}


def test_broken_domains_reported_and_repaired(simulator, client):
    client.create_domain("acme-dns.fr")
    client.create_domain("acme-platform.fr")

    dns = client.check_domain("acme-dns.fr")
    assert dns["state"] == "broken"
    assert dns["mx"]["errors"][0]["code"] == "wrong_mx"
    simulator.set_dns("acme-dns.fr", True)
    assert client.check_domain("acme-dns.fr")["state"] == "ok"

    platform = client.check_domain("acme-platform.fr")
    assert platform["state"] == "broken" and platform["cert"]["internal"] is True
    assert client.fix_domain("acme-platform.fr")["state"] == "ok"


def test_validation_errors_are_rejections(client):
    with pytest.raises(DimailRejected) as caught:
        client.create_domain("fax.fr", features=["fax"])
    assert caught.value.status == 422
    assert "features" in caught.value.detail


def test_mailbox_lifecycle(simulator, client, domain):
    new = client.create_mailbox(domain, "jane", "Jane", "Doe", "Jane Doe")
    assert new["email"] == "jane@example.fr" and new["password"] and new["uuid"]

    # A duplicate is dimail's plain-text 500 (transient to the client); the probe tells.
    with pytest.raises(DimailUnavailable) as caught:
        client.create_mailbox(domain, "jane", "Jane", "Doe", "Jane Doe")
    assert caught.value.status == 500
    assert client.probe_address(domain, "jane")["is_mailbox"] is True
    assert client.probe_address(domain, "nobody") is None

    # Real servers list their technical webmail account too (the import skips it).
    listed = sorted(m["email"] for m in client.list_mailboxes(domain))
    assert listed == ["jane@example.fr", "oxadmin@example.fr"]
    [v2] = [m for m in client.list_mailboxes_v2(domain) if m["email"] == "jane@example.fr"]
    assert v2["active"] == "yes" and v2["extras"]["ox"]["display_name"] == "Jane Doe"
    assert client.get_mailbox(domain, "jane")["givenName"] == "Jane"
    assert client.update_mailbox(domain, "jane", displayName="J. Doe")["displayName"] == "J. Doe"

    def active() -> str:
        return {m["email"]: m for m in client.list_mailboxes_v2(domain)}["jane@example.fr"][
            "active"
        ]

    client.disable_mailbox(domain, "jane")
    assert active() == "no"
    client.enable_mailbox(domain, "jane", "Jane", "Doe", "Jane Doe")
    assert active() == "yes"

    reset = client.reset_password(domain, "jane")
    assert reset["email"] == "jane@example.fr" and reset["password"] != new["password"]
    code = client.login_code(domain, "jane", expires_in=600, maxuse=2)
    assert (code["expires_in"], code["maxuse"]) == (600, 2) and code["code"]

    with pytest.raises(DimailNotFound):
        client.get_mailbox(domain, "nobody")
    assert simulator.creations("mailbox:") == {"mailbox:jane@example.fr": 1}


def test_alias_lifecycle(simulator, client, domain):
    created = client.create_alias(domain, "contact", "jane@elsewhere.org")
    assert created["destination"] == "jane@elsewhere.org"
    client.create_alias(domain, "contact", "john+mail@elsewhere.org")
    with pytest.raises(DimailConflict):
        client.create_alias(domain, "contact", "jane@elsewhere.org")

    assert len(client.list_aliases(domain)) == 2
    assert len(client.list_aliases(domain, "contact", "jane@elsewhere.org")) == 1
    assert client.list_aliases(domain, "contact", "nobody@elsewhere.org") == []

    assert client.delete_alias(domain, "contact", "jane@elsewhere.org") is True
    assert client.delete_alias(domain, "contact", "jane@elsewhere.org") is False
    client.delete_all_aliases(domain, "contact")
    assert client.list_aliases(domain) == []
    client.delete_all_aliases(domain, "contact")  # nothing left: still fine
    assert simulator.state()["domains"][domain]["aliases"] == []


def test_token_fetched_once_and_reused(simulator, client, domain):
    for _ in range(5):
        client.get_domain(domain)
    client.create_mailbox(domain, "jane", "Jane", "Doe", "Jane Doe")
    client.list_mailboxes(domain)
    assert simulator.requests("GET /token/") == 1
    assert simulator.requests("GET /domains/{name}") == 5


def test_token_refreshed_once_when_the_server_forgets_it(simulator, client, domain):
    client.get_domain(domain)
    simulator.sim.secret = "a-new-signing-key-as-after-a-restart-000"
    assert client.get_domain(domain)["name"] == domain
    assert simulator.requests("GET /token/") == 2


def test_wrong_password_is_an_auth_error(simulator):
    with client_for(simulator, password="wrong") as client:
        with pytest.raises(DimailAuthError):
            client.list_domains()
        with pytest.raises(DimailAuthError):
            client.get_domain(DOMAIN)


def test_older_generation(make_simulator):
    old = make_simulator(generation="2024")
    with client_for(old) as client:
        client.create_domain(DOMAIN)
        client.create_mailbox(DOMAIN, "jane", "Jane", "Doe", "Jane Doe")
        for call in (
            lambda: client.check_domain(DOMAIN),
            lambda: client.fix_domain(DOMAIN),
            lambda: client.domain_spec(DOMAIN),
            lambda: client.reset_password(DOMAIN, "jane"),
            lambda: client.login_code(DOMAIN, "jane"),
            lambda: client.probe_address(DOMAIN, "jane"),
            lambda: client.list_mailboxes_v2(DOMAIN),
        ):
            with pytest.raises(DimailNotSupported):
                call()
        # Answered 200 rather than 201: created all the same.
        assert client.create_alias(DOMAIN, "contact", "jane@elsewhere.org")["username"]
        assert len(client.list_aliases(DOMAIN)) == 1
        # Older servers answer 200 to `active` and change nothing: never sent as if it worked.
        with pytest.raises(DimailNotSupported, match="cannot disable mailboxes"):
            client.disable_mailbox(DOMAIN, "jane")
    assert old.state()["domains"][DOMAIN]["mailboxes"]["jane"]["active"] is True
    assert old.requests("PATCH /domains/{d}/mailboxes/{local_part}") == 0


@pytest.mark.parametrize(
    "knobs",
    [
        {"error_rate": 1},
        {"drop_rate": 1},
        {"timeout_rate": 1, "hang_seconds": 2},
    ],
    ids=["5xx", "dropped", "timeout"],
)
def test_transient_faults_are_unavailable(simulator, knobs):
    with client_for(simulator, timeout=0.5) as client:
        client.list_domains()  # a healthy connection first, then the faults
        simulator.faults(**knobs)
        with pytest.raises(DimailUnavailable):
            client.create_domain(DOMAIN)
        with pytest.raises(DimailUnavailable):
            client.get_domain(DOMAIN)
    assert simulator.creations() == {}


def test_lost_answer_then_retry_creates_once(simulator, client):
    simulator.faults(fail_after_effect_rate=1)
    with pytest.raises(DimailUnavailable) as caught:
        client.create_domain(DOMAIN)
    assert caught.value.status == 502
    simulator.faults(fail_after_effect_rate=0)
    with pytest.raises(DimailConflict):  # the retry finds it there: success for the caller
        client.create_domain(DOMAIN)
    # One domain, and the grant the client gives itself after each creation answer.
    assert simulator.creations() == {f"domain:{DOMAIN}": 1, f"allow:people>{DOMAIN}": 1}

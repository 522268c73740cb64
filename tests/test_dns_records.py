"""Each expected DNS record with what dimail's last check found: ✓ Correct, ✗ Wrong with
dimail's words, or Not checked (never ✓ for a check dimail did not run), on the generations
whose check answers differ: `current` (one object per check, records from spec/) and
`2024-08-check` (the checks inside the domain's JSON, no spec/: the checks are listed alone)."""

import html
import re

import pytest

from tests.dimail.recordings import exchanges
from webapp.dimail.checks import read_checks
from webapp.extensions import db
from webapp.models import Domain, DomainStatus

GENERATIONS = ["current", "2024-08-check"]
RECORD_CHECKS = {"mx", "cname_imap", "cname_smtp", "cname_webmail", "spf", "dkim"}
ROW = re.compile(r'<tr data-check="(\w+)">(.*?)</tr>', re.S)
CELL = re.compile(r'<td class="record-check">(.*?)</td>', re.S)


def marks(client, name="acme.fr") -> dict[str, str]:
    """{check: the words of its "Last check" cell, as read}."""
    page = client.get(f"/domains/{name}/").get_data(as_text=True)
    found = {}
    for check, row in ROW.findall(page):
        text = re.sub(r"<[^>]+>", " ", CELL.search(row).group(1))
        found[check] = " ".join(html.unescape(text).split())
    return found


def use(app, sim):
    app.config.update(DIMAIL_URL=sim.url, DIMAIL_USER=sim.user, DIMAIL_PASSWORD=sim.password)


def create(client, run_jobs, name="acme.fr"):
    assert client.post_form("/domains/", {"name": name, "support_email": f"it@{name}"}).status_code
    run_jobs()
    return db.session.scalar(db.select(Domain).where(Domain.name == name))


def expected_rows(generation) -> set[str]:
    # The older build lists no records: its checks stand alone, domain_exist among them.
    return RECORD_CHECKS if generation == "current" else RECORD_CHECKS | {"domain_exist"}


@pytest.mark.parametrize("generation", GENERATIONS)
def test_all_records_right_are_each_marked_correct(
    app, client, owner, make_simulator, run_jobs, generation
):
    use(app, make_simulator(generation=generation))
    assert create(client, run_jobs).status == DomainStatus.ENABLED
    found = marks(client)
    assert set(found) == expected_rows(generation)
    assert set(found.values()) == {"✓ Correct"}


@pytest.mark.parametrize("generation", GENERATIONS)
def test_one_wrong_record_shows_dimails_words_on_its_own_row(
    app, client, owner, make_simulator, run_jobs, generation
):
    sim = make_simulator(generation=generation)
    use(app, sim)
    create(client, run_jobs)
    sim.set_dns("acme.fr", ok=False, wrong=("spf",))
    client.post_form("/domains/acme.fr/check")
    run_jobs()

    found = marks(client)
    assert found.pop("spf") == (
        '✗ Wrong: Le SPF du domaine n\'inclut pas _spf.mail.example.net (trouvé : "v=spf1 mx -all")'
    )
    assert set(found.values()) == {"✓ Correct"}


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_domain_missing_from_the_dns_leaves_every_record_not_checked(
    app, client, owner, make_simulator, run_jobs, generation
):
    # As on the recorded servers: domain_exist fails, the others answer "ok" without running.
    use(app, make_simulator(generation=generation, dns="none"))
    assert create(client, run_jobs).status == DomainStatus.ACTION_REQUIRED

    found = marks(client)
    assert set(found) == expected_rows(generation)
    if generation != "current":
        assert found.pop("domain_exist") == "✗ Wrong: Le domaine acme.fr n'existe pas"
    assert set(found.values()) == {"Not checked"}
    page = client.get("/domains/acme.fr/").get_data(as_text=True)
    assert "did not find the domain in the DNS" in html.unescape(page)


def _recorded_creation_checks() -> list[dict]:
    """What the 2024-08 check build answered to the domain's creation: "Did not check yet"."""
    created = next(
        e["response"]["body"]
        for e in exchanges("dimail-api-2024-08-check.json")
        if e["request"]["method"] == "POST" and e["response"]["status"] == 201
        and e["request"]["path"] == "/domains/"
    )  # fmt: skip
    assert created["domain_exist"]["errors"][0]["code"] == "no_test"
    return read_checks(created)


SPEC = [
    {"target": "", "type": "MX", "value": "mx.mail.example.net."},
    {"target": "", "type": "TXT", "value": "v=spf1 include:_spf.mail.example.net -all"},
    {"target": "dimail._domainkey", "type": "TXT", "value": "v=DKIM1; k=rsa; p=MIIB"},
]


@pytest.mark.parametrize("stored", ["never", "not yet run"])
@pytest.mark.parametrize("records", [SPEC, None], ids=["with records", "without records"])
def test_a_domain_never_checked_shows_nothing_as_correct(
    client, owner, make_domain, stored, records
):
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    domain.dns_records = records
    domain.checks = None if stored == "never" else _recorded_creation_checks()
    db.session.commit()

    found = marks(client)
    if records:
        assert set(found) == {"mx", "spf", "dkim"}
    elif stored == "never":
        assert found == {}  # no check reported: nothing to list
    else:
        assert set(found) == RECORD_CHECKS | {"domain_exist"}
    assert set(found.values()) <= {"Not checked"}
    page = html.unescape(client.get("/domains/acme.fr/").get_data(as_text=True))
    assert "✓" not in page
    assert "did not find the domain" not in page  # not looked up yet: not "missing"

"""Exports: streamed CSV in the importable format, formulas neutralised, roles."""

import csv
import io

from tests.test_imports import outcomes, upload
from webapp.extensions import db
from webapp.models import Alias, DomainStatus, Mailbox, Role
from webapp.models.mailbox import name_key
from webapp.spreadsheets import neutralised


def read(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads the accents right
    return list(csv.reader(io.StringIO(body[1:])))


def add_mailbox(domain, local_part, first, last, secondary=None):
    db.session.add(Mailbox(domain_id=domain.id, local_part=local_part, first_name=first,
                           last_name=last, name_key=name_key(first, last),
                           secondary_email=secondary))  # fmt: skip


def test_mailboxes_export_is_streamed_and_imports_back(client, owner, make_domain):
    acme = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    add_mailbox(acme, "helene", "Hélène", "Dupont", "h@home.org")
    add_mailbox(acme, "paul", "Paul", "Roux", "p@home.org")
    db.session.commit()
    response = client.get("/domains/acme.fr/exports/mailboxes.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert read(response) == [
        ["first_name", "last_name", "local_part", "secondary_email", "status"],
        ["Hélène", "Dupont", "helene", "h@home.org", "pending"],
        ["Paul", "Roux", "paul", "p@home.org", "pending"],
    ]
    again = upload(client, response.get_data())
    assert outcomes(again) == {2: "exists", 3: "exists"}


def test_cells_a_spreadsheet_would_run_are_neutralised(client, owner, make_domain):
    acme = make_domain("acme.fr", owner=owner)
    add_mailbox(acme, "eve", '=HYPERLINK("http://evil")', "+1", "@evil.org")
    add_mailbox(acme, "bob", "-2", "\tTab", None)
    db.session.commit()
    rows = read(client.get("/domains/acme.fr/exports/mailboxes.csv"))
    assert rows[1][:2] == ["'-2", "'\tTab"]
    assert rows[2][:2] == ['\'=HYPERLINK("http://evil")', "'+1"]
    assert neutralised("plain") == "plain" and neutralised("\r=1") == "'\r=1"


def test_aliases_and_collaborators_for_any_role(
    client, owner, make_domain, make_user, grant, login_as
):
    acme = make_domain("acme.fr", owner=owner)
    db.session.add(Alias(domain_id=acme.id, local_part="contact", destination="j@home.org"))
    viewer = make_user("viewer@example.org", name="Vi Ewer")
    grant(viewer, acme, Role.VIEWER)
    login_as(viewer)
    aliases = read(client.get("/domains/acme.fr/exports/aliases.csv"))
    assert aliases == [["local_part", "destination", "status"],
                       ["contact", "j@home.org", "pending"]]  # fmt: skip
    people = read(client.get("/domains/acme.fr/exports/collaborators.csv"))
    assert people[0] == ["email", "name", "role"]
    assert ["viewer@example.org", "Vi Ewer", "viewer"] in people
    assert [row[0] for row in people[1:]] == sorted(row[0] for row in people[1:])
    stranger = make_user("stranger@example.org")
    login_as(stranger)
    assert client.get("/domains/acme.fr/exports/aliases.csv").status_code == 404


def test_domain_managers_for_superusers_only(
    client, owner, make_domain, make_user, grant, login_as
):
    acme = make_domain("acme.fr", owner=owner)
    grant(make_user("viewer@example.org"), acme, Role.VIEWER)
    grant(make_user("admin@example.org"), acme, Role.ADMINISTRATOR)
    assert client.get("/exports/domain-managers.csv").status_code == 403
    login_as(make_user("staff@example.org", superuser=True))
    rows = read(client.get("/exports/domain-managers.csv"))
    assert rows[0] == ["domain", "email", "name", "role"]
    assert {(r[0], r[1], r[3]) for r in rows[1:]} == {
        ("acme.fr", "admin@example.org", "administrator"),
        ("acme.fr", "owner@example.org", "owner"),
    }


def test_the_export_reads_the_rows_in_chunks(app, client, owner, make_domain, monkeypatch):
    """Constant memory: the query is streamed (yield_per), never loaded whole."""
    from webapp.services import exports

    acme = make_domain("acme.fr", owner=owner)
    db.session.execute(
        db.insert(Mailbox),
        [{"domain_id": acme.id, "local_part": f"m{i:05}", "first_name": f"F{i}",
          "last_name": "L", "name_key": f"k{i}"} for i in range(2500)],
    )  # fmt: skip
    db.session.commit()
    seen = []
    real = db.session.execute

    def spy(stmt, *args, **kwargs):
        seen.append(stmt.get_execution_options().get("yield_per"))
        return real(stmt, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", spy)
    rows = read(client.get("/domains/acme.fr/exports/mailboxes.csv"))
    assert len(rows) == 2501 and rows[-1][2] == "m02499"
    assert exports.CHUNK in seen  # the rows query, read a chunk at a time

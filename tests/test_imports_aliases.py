"""Aliases from a file, and `flask import-csv` for scripts."""

import pytest

from tests.test_imports import HEADER, errors_of, import_id, outcomes, upload
from webapp.extensions import db
from webapp.models import Alias, BulkImport, DomainStatus, Mailbox

URL = "/domains/acme.fr/imports/aliases"


@pytest.fixture
def acme(owner, make_domain):
    return make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)


def test_aliases_with_the_alias_forms_rules(client, acme):
    db.session.add(Alias(domain_id=acme.id, local_part="sales", destination="a@home.org"))
    db.session.commit()
    response = upload(
        client,
        "alias;destination\n"
        "contact;jeanne@home.org\n"
        "contact;paul@home.org\n"
        "contact;jeanne@home.org\n"  # twice in the file
        "sales;a@home.org\n"  # already there
        "loop;loop@acme.fr\n"  # to itself
        "bad name;x@home.org\n",
        url=URL,
    )
    assert outcomes(response) == {2: "create", 3: "create", 4: "error", 5: "exists",
                                  6: "error", 7: "error"}  # fmt: skip
    assert errors_of(response, 4) == [
        "contact@acme.fr → jeanne@home.org is already on line 2 of this file."
    ]
    assert errors_of(response, 6) == ["An alias cannot send mail to itself."]
    client.post_form(f"/domains/acme.fr/imports/{import_id(response)}/confirm")
    pairs = db.session.execute(db.select(Alias.local_part, Alias.destination)).all()
    assert sorted(pairs) == [("contact", "jeanne@home.org"), ("contact", "paul@home.org"),
                             ("sales", "a@home.org")]  # fmt: skip


def test_imported_aliases_reach_the_platform(client, enabled, run_jobs, dimail):
    response = upload(client, "local_part,destination\ncontact,j@home.org\n", url=URL)
    client.post_form(f"/domains/acme.fr/imports/{import_id(response)}/confirm")
    run_jobs()
    alias = db.session.scalar(db.select(Alias))
    assert alias.status == "enabled"
    page = client.get(f"/domains/acme.fr/imports/{import_id(response)}").get_data(as_text=True)
    assert 'data-count="enabled"><strong>1</strong>' in page


def write(tmp_path, text: str):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_command_with_dry_run_creates_nothing(app, acme, tmp_path):
    path = write(tmp_path, HEADER + "Jeanne,Martin,,j@home.org\nPaul,Roux,,bad\n")
    result = app.test_cli_runner().invoke(args=["import-csv", "acme.fr", path, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 3: error:" in result.output and "not a valid email address" in result.output
    assert "acme.fr: 1 create, 0 exists, 1 error (dry run: nothing created)." in result.output
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 0
    assert db.session.scalar(db.select(db.func.count(BulkImport.id))) == 0


def test_the_command_imports_and_a_second_run_skips(app, acme, tmp_path):
    path = write(tmp_path, HEADER + "Jeanne,Martin,,j@home.org\n")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-csv", "acme.fr", path])
    assert first.exit_code == 0, first.output
    assert "Created: 1. Skipped: 0." in first.output
    second = runner.invoke(args=["import-csv", "acme.fr", path])
    assert "0 create, 1 exists, 0 error" in second.output
    assert db.session.scalar(db.select(Mailbox.local_part)) == "jeanne.martin"


def test_the_command_imports_aliases_and_refuses_a_bad_file(app, acme, tmp_path):
    runner = app.test_cli_runner()
    path = write(tmp_path, "alias,destination\ncontact,j@home.org\n")
    result = runner.invoke(args=["import-csv", "acme.fr", path, "--aliases"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(Alias.local_part)) == "contact"
    bad = runner.invoke(args=["import-csv", "acme.fr", write(tmp_path, "nothing,here\n1,2\n")])
    assert bad.exit_code != 0 and "The first line must name the columns" in bad.output
    missing = runner.invoke(args=["import-csv", "nowhere.fr", path])
    assert missing.exit_code != 0 and "No domain nowhere.fr here." in missing.output

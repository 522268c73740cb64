"""Confirming an import: one transaction, the single creations' sync path, live progress,
the result file, re-uploads, conflicts since the preview, expiry and roles."""

import csv
import io
from datetime import timedelta

import pytest

from tests.test_imports import HEADER, import_id, outcomes, upload
from webapp.extensions import db
from webapp.models import AuditEntry, BulkImport, DomainStatus, Mailbox, Role
from webapp.models.base import utcnow

FILE = (
    HEADER + "Jeanne,Martin,,jeanne@home.org\n"
    "Paul,Roux,paul,paul@home.org\n"
    "Anne,Bad,anne,not-an-email\n"
)
URL = "/domains/acme.fr/imports"


def confirm(client, number: int, **kwargs):
    return client.post_form(f"{URL}/{number}/confirm", **kwargs)


def result_file(client, number: int) -> list[dict]:
    body = client.get(f"{URL}/{number}/result.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_confirm_creates_the_rows_and_the_jobs_enable_them(
    client, enabled, run_jobs, dimail, outbox
):
    preview = upload(client, FILE)
    number = import_id(preview)
    response = confirm(client, number)
    assert response.status_code == 303
    created = db.session.scalars(db.select(Mailbox).order_by(Mailbox.local_part)).all()
    assert [m.local_part for m in created] == ["jeanne.martin", "paul"]
    assert all(m.sync_requested_at is not None for m in created)  # marked, then queued
    page = client.get(f"{URL}/{number}").get_data(as_text=True)
    assert 'data-busy="yes"' in page and 'hx-trigger="every 2s"' in page
    assert "Created: 2. Skipped: 0." in page

    run_jobs()
    assert set(dimail.state()["domains"]["acme.fr"]["mailboxes"]) == {"jeanne.martin", "paul"}
    fragment = client.get(f"{URL}/{number}", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="import-progress"')
    assert 'data-count="enabled"><strong>2</strong>' in text
    assert 'data-count="confirmations"><strong>2</strong>' in text
    assert 'data-busy="no"' in text and "every 2s" not in text

    rows = result_file(client, number)
    assert [(r["line"], r["status"]) for r in rows] == [
        ("2", "enabled"),
        ("3", "enabled"),
        ("4", "refused"),
    ]
    assert "not a valid email address" in rows[2]["reason"]


def test_the_audit_log_has_one_entry_for_the_import_and_one_per_mailbox(client, enabled, owner):
    confirm(client, import_id(upload(client, FILE, name="staff.csv")))
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    kinds = [e.kind for e in entries if e.kind != "domain.created"]
    assert kinds.count("mailbox.created") == 2
    (summary,) = [e for e in entries if e.kind == "import.file"]
    assert summary.actor_label == owner.email
    assert summary.target == "staff.csv"
    assert str(summary.message) == (
        "File staff.csv imported: 2 created, 0 skipped (already there, or taken meanwhile), "
        "1 refused."
    )
    log = client.get("/domains/acme.fr/log/?kind=import.file").get_data(as_text=True)
    assert "File staff.csv imported" in log


def test_uploading_the_same_file_again_creates_nothing_twice(client, enabled):
    confirm(client, import_id(upload(client, FILE)))
    again = upload(client, FILE)
    assert outcomes(again) == {2: "exists", 3: "exists", 4: "error"}
    confirm(client, import_id(again))
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 2


def test_a_row_taken_since_the_preview_is_skipped_and_reported(client, enabled):
    number = import_id(upload(client, FILE))
    single = {"first_name": "Paula", "last_name": "Roux", "local_part": "paul",
              "secondary_email": "p@home.org"}  # fmt: skip
    assert client.post_form("/domains/acme.fr/mailboxes/", single).status_code == 303
    assert confirm(client, number).status_code == 303
    paul = db.session.scalar(db.select(Mailbox).where(Mailbox.local_part == "paul"))
    assert paul.first_name == "Paula"  # untouched
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 2
    page = client.get(f"{URL}/{number}").get_data(as_text=True)
    assert "Created: 1. Skipped: 1." in page
    assert 'data-line="3"' in page and "paul@acme.fr already exists." in page
    statuses = {r["line"]: r["status"] for r in result_file(client, number)}
    assert statuses["3"] == "conflict"


def test_confirming_twice_creates_once(client, enabled):
    number = import_id(upload(client, FILE))
    confirm(client, number)
    again = confirm(client, number)
    assert again.status_code == 409
    assert "This import was confirmed already." in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 2


def test_a_domain_not_ready_records_them_for_later(client, owner, make_domain):
    make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    number = import_id(upload(client, FILE))
    confirm(client, number)
    created = db.session.scalars(db.select(Mailbox)).all()
    assert len(created) == 2
    assert all(m.status == "pending" and m.sync_requested_at is None for m in created)
    page = client.get(f"{URL}/{number}").get_data(as_text=True)
    assert "as soon as the domain is ready" in page
    assert 'data-busy="no"' in page


def test_an_abandoned_preview_expires_and_is_purged(client, enabled):
    from webapp.jobs.periodic import tick

    number = import_id(upload(client, FILE))
    bulk = db.session.get(BulkImport, number)
    bulk.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    refused = confirm(client, number)
    assert refused.status_code == 409
    assert "This preview has expired: upload the file again." in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 0
    tick()
    assert client.get(f"{URL}/{number}").status_code == 404
    assert db.session.scalar(db.select(db.func.count(BulkImport.id))) == 0


def test_a_confirmed_import_is_not_purged(client, enabled):
    from webapp.jobs.periodic import tick

    number = import_id(upload(client, FILE))
    confirm(client, number)
    db.session.get(BulkImport, number).expires_at = utcnow() - timedelta(days=2)
    db.session.commit()
    tick()
    assert client.get(f"{URL}/{number}").status_code == 200


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (None, 404)])
def test_only_administrators_and_owners_import(
    app, client, enabled, make_user, grant, login_as, role, status
):
    number = import_id(upload(client, FILE))
    other = make_user("other@example.org")
    if role:
        grant(other, enabled, role)
    login_as(other)
    assert client.get(f"{URL}/mailboxes").status_code == status
    assert upload(client, FILE).status_code == status
    assert confirm(client, number).status_code == status
    assert client.get(f"{URL}/{number}/result.csv").status_code == status
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 0


def test_an_administrator_may_import(client, enabled, make_user, grant, login_as):
    admin = make_user("admin@example.org")
    grant(admin, enabled, Role.ADMINISTRATOR)
    login_as(admin)
    assert confirm(client, import_id(upload(client, FILE))).status_code == 303
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 2


def test_an_import_of_another_domain_is_not_found(client, enabled, owner, make_domain):
    number = import_id(upload(client, FILE))
    make_domain("other.fr", owner=owner, status=DomainStatus.ENABLED)
    assert client.get(f"/domains/other.fr/imports/{number}").status_code == 404
    assert client.post_form(f"/domains/other.fr/imports/{number}/confirm").status_code == 404

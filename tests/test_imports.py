"""Importing mailboxes from a file: how files are read, the preview, the confirmation."""

import codecs
import io
import re

import pytest

from webapp.extensions import db
from webapp.models import BulkImport, DomainStatus, ImportRow, Mailbox
from webapp.models.mailbox import name_key

URL = "/domains/acme.fr/imports/mailboxes"
HEADER = "first_name,last_name,local_part,secondary_email\n"


def upload(client, content: bytes | str, name="people.csv", url=URL):
    if isinstance(content, str):
        content = content.encode()
    return client.post_form(url, {"file": (io.BytesIO(content), name)})


def outcomes(response) -> dict[int, str]:
    page = response.get_data(as_text=True)
    return {int(line): o for line, o in re.findall(r'data-line="(\d+)" data-outcome="(\w+)"', page)}


def import_id(response) -> int:
    return int(re.search(r"/imports/(\d+)/confirm", response.get_data(as_text=True)).group(1))


def errors_of(response, line: int) -> list[str]:
    page = response.get_data(as_text=True)
    row = re.search(rf'<tr data-line="{line}".*?</tr>', page, re.S).group(0)
    return [re.sub(r"\s+", " ", e) for e in re.findall(r'class="field-error"[^>]*>(.*?)</p>', row)]


def mailbox_count() -> int:
    return db.session.scalar(db.select(db.func.count(Mailbox.id)))


@pytest.fixture
def acme(owner, make_domain):
    return make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)


def test_the_page_names_the_columns_and_offers_a_template(client, acme):
    page = client.get(URL).get_data(as_text=True)
    for column in ("first_name", "last_name", "local_part", "secondary_email"):
        assert f"<code>{column}</code>" in page
    template = client.get(URL + "/template.csv")
    assert template.status_code == 200
    assert template.get_data(as_text=True).lstrip("\ufeff").startswith(HEADER.strip())


def test_a_preview_writes_no_mailbox_and_counts_each_outcome(client, acme):
    response = upload(
        client,
        codecs.BOM_UTF8 + (HEADER + "Jeanne,Martin,,jeanne@home.org\n"
                           "Paul,Roux,paul,not-an-email\n").encode(),
    )  # fmt: skip
    assert response.status_code == 200
    assert outcomes(response) == {2: "create", 3: "error"}
    assert mailbox_count() == 0
    page = response.get_data(as_text=True)
    assert 'data-count="create"><strong>1</strong>' in page
    assert 'data-count="error"><strong>1</strong>' in page
    # The address is suggested from the names, as the form does.
    row = db.session.scalar(db.select(ImportRow).where(ImportRow.line == 2))
    assert row.outcome == "create"


def test_errors_are_the_single_forms_word_for_word(client, acme):
    typed = {"first_name": "Paul", "last_name": "Roux", "local_part": "Pa ul",
             "secondary_email": "paul@"}  # fmt: skip
    single = client.post_form("/domains/acme.fr/mailboxes/", typed).get_data(as_text=True)
    form_errors = [
        re.sub(r"\s+", " ", e) for e in re.findall(r'class="field-error"[^>]*>(.*?)</p>', single)
    ]
    preview = upload(client, HEADER + "Paul,Roux,Pa ul,paul@\n")
    assert sorted(errors_of(preview, 2)) == sorted(form_errors)
    assert len(form_errors) == 2


FRENCH = "prénom,nom,email secondaire\nHélène,Dupont,h@home.org\n"
FILES = {
    "utf8-bom": codecs.BOM_UTF8 + FRENCH.encode(),
    "utf8": FRENCH.encode(),
    "cp1252-semicolon": FRENCH.replace(",", ";").replace("\n", "\r\n").encode("cp1252"),
    "upper-case-no-accents": "PRENOM;NOM;EMAIL SECONDAIRE\nHélène;Dupont;h@home.org\n\n\n".encode(),
    "quoted": b'"first_name","last_name","secondary_email"\n"Paul","Dupont","h@home.org"\n'.replace(
        b"Paul", "Hélène".encode()
    ),
    "tabs": "First Name\tLast Name\tSecondary Email\nHélène\tDupont\th@home.org\n".encode(),
}


@pytest.mark.parametrize("content", FILES.values(), ids=FILES.keys())
def test_files_as_people_have_them(client, acme, content):
    response = upload(client, content)
    assert outcomes(response) == {2: "create"}, response.get_data(as_text=True)
    row = db.session.scalar(db.select(ImportRow))
    assert row.cells == {
        "first_name": "Hélène",
        "last_name": "Dupont",
        "secondary_email": "h@home.org",
    }


def test_a_quoted_cell_may_hold_the_separator(client, acme):
    response = upload(client, 'prénom;nom;email secondaire\n"Anne; Marie";Roux;a@home.org\n')
    assert outcomes(response) == {2: "create"}
    assert db.session.scalar(db.select(ImportRow)).cells["first_name"] == "Anne; Marie"


def test_an_xlsx_workbook(client, acme):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Prénom", "Nom", "Adresse", "Email secondaire"])
    sheet.append(["Hélène", "Dupont", "helene", "h@home.org"])
    sheet.append([None, None, None, None])
    sheet.append(["Paul", "Roux", 12, "p@home.org"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue(), name="people.xlsx")
    assert outcomes(response) == {2: "create", 4: "create"}
    cells = [r.cells for r in db.session.scalars(db.select(ImportRow).order_by(ImportRow.line))]
    assert cells[1]["local_part"] == "12"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\x00\x01\x02\xff\xfe\x00garbage", "junk.csv", "neither a CSV file nor an .xlsx"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "This .xlsx file cannot be read"),
        (b"\xd0\xcf\x11\xe0old", "old.xls", "Old Excel files (.xls)"),
        (b"name,email\nJeanne,j@home.org\n", "other.csv", "The first line must name the columns"),
        (b"first_name,last_name\nJeanne,Martin\n", "short.csv", "Missing column: secondary_email"),
    ],
)
def test_a_malformed_file_is_a_message_next_to_the_field(client, acme, content, name, message):
    response = upload(client, content, name=name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'class="field-error"[^>]*>[^<]*' + re.escape(message), page), page
    assert db.session.scalar(db.select(db.func.count(BulkImport.id))) == 0


@pytest.mark.parametrize("form", [{}, {"file": "some text, not a file"}])
def test_no_file_at_all(client, acme, form):
    response = client.post_form(URL, form)
    assert response.status_code == 422
    assert "Choose the file to import." in response.get_data(as_text=True)


def test_too_many_rows(app, client, acme):
    app.config["IMPORT_MAX_ROWS"] = 2
    rows = "".join(f"P{i},N{i},,p{i}@home.org\n" for i in range(3))
    response = upload(client, HEADER + rows)
    assert response.status_code == 422
    assert "more than 2 rows" in response.get_data(as_text=True)


def test_a_file_larger_than_the_request_limit(app, client, acme):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = upload(client, HEADER + "x" * 5000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'id="import-form"' in page  # the page and its form, not a bare error page
    assert re.search(r'class="field-error"[^>]*>What you sent is larger', page)


def test_duplicates_in_the_file_and_in_the_domain(client, acme):
    db.session.add(Mailbox(domain_id=acme.id, local_part="anne", first_name="Anne",
                           last_name="Roux", name_key="x"))  # fmt: skip
    db.session.commit()
    response = upload(
        client,
        HEADER + "Anne,Roux,anne,a@home.org\n"  # already in the domain: skipped
        "Jeanne,Martin,jm,j@home.org\n"
        "Jeanne,Dupont,jm,j2@home.org\n"  # the same address as line 3
        "JEANNE,martin,jeanne2,j3@home.org\n",  # the same display name as line 3
    )
    assert outcomes(response) == {2: "exists", 3: "create", 4: "error", 5: "error"}
    assert errors_of(response, 4) == ["jm@acme.fr is already on line 3 of this file."]
    assert "on line 3 of this file (jm@acme.fr)" in errors_of(response, 5)[0]


def test_the_display_name_rule_against_the_domain(client, acme):
    db.session.add(Mailbox(domain_id=acme.id, local_part="anne", first_name="Anne",
                           last_name="Roux", name_key=name_key("Anne", "Roux")))  # fmt: skip
    db.session.commit()
    response = upload(client, HEADER + "Anne,Roux,anne.roux,a@home.org\n")
    assert outcomes(response) == {2: "error"}
    assert "Anne Roux already has a mailbox here (anne@acme.fr)" in errors_of(response, 2)[0]

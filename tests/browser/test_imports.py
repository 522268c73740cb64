"""In the browser: a spreadsheet imported, previewed, confirmed, and followed live."""

from playwright.sync_api import expect

from tests.browser.steps import log_in_on_enabled_domain
from tests.browser.test_mailboxes import app  # noqa: F401 - the app with its mail catcher

FILE = (
    "prénom;nom;adresse;email secondaire\r\n"
    "Hélène;Dupont;;helene@home.org\r\n"
    "Paul;Martin;paul;paul@home.org\r\n"
    "Paula;Roux;paul;paula@home.org\r\n"  # the same address as line 3
    "Anne;Leroy;anne;not-an-address\r\n"
).encode("cp1252")


def test_upload_preview_confirm_and_watch_them_enabled(
    page, make_user, make_domain, dimail, run_jobs, tmp_path
):
    log_in_on_enabled_domain(page, make_user, make_domain, dimail)
    page.goto("/domains/acme.fr/mailboxes/")
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": FILE}]
    )
    page.get_by_role("button", name="Preview the import").click()

    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("tr[data-line='2']")).to_contain_text("Hélène")
    expect(page.locator("tr[data-line='2'] [data-status='create']")).to_be_visible()
    expect(page.locator("tr[data-line='4'] .field-error")).to_have_text(
        "paul@acme.fr is already on line 3 of this file."
    )
    expect(page.locator("tr[data-line='5'] .field-error")).to_contain_text(
        "This is not a valid email address"
    )
    page.get_by_role("button", name="Create the 2 rows").click()

    expect(page.locator("[data-count='created'] strong")).to_have_text("2")
    page.evaluate("window.__same_page = true")
    run_jobs()
    expect(page.locator("[data-count='enabled'] strong")).to_have_text("2", timeout=10_000)
    expect(page.locator("#import-progress")).to_have_attribute("data-busy", "no", timeout=10_000)
    assert page.evaluate("window.__same_page") is True  # updated in place, no reload
    assert set(dimail.state()["domains"]["acme.fr"]["mailboxes"]) == {"helene.dupont", "paul"}

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the result").click()
    result = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert result[0] == "first_name,last_name,local_part,secondary_email,line,status,reason"
    assert result[1].startswith("Hélène,Dupont,,helene@home.org,2,enabled")
    assert ",4,refused,paul@acme.fr is already on line 3 of this file." in result[3]

"""In the browser: after "Check now", each expected record says what the check found, in words
beside its mark, with dimail's words on the wrong one."""

import re

from playwright.sync_api import expect

from tests.browser.steps import add_domain, use_simulator
from tests.browser.test_journeys import log_in


def test_each_record_shows_its_mark_and_the_wrong_one_dimails_words(
    app, page, make_user, simulator, run_jobs, screenshot
):
    use_simulator(app, simulator)
    make_user("owner@example.org")
    log_in(page, "owner@example.org")
    add_domain(page, "acme.fr")
    run_jobs()
    records = page.locator("table.records")
    expect(records.locator("tr[data-check='spf'] .record-check")).to_have_text(
        "✓ Correct", timeout=10_000
    )

    simulator.set_dns("acme.fr", ok=False, wrong=("spf",))
    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text("Talking to the mail platform")).to_be_visible()
    run_jobs()

    spf = records.locator("tr[data-check='spf'] .record-check")
    expect(spf).to_contain_text("✗ Wrong:", timeout=10_000)
    expect(spf.locator("q")).to_have_text(re.compile(r"^Le SPF du domaine n'inclut pas"))
    for check in ("mx", "cname_imap", "cname_smtp", "cname_webmail", "dkim"):
        expect(records.locator(f"tr[data-check='{check}'] .record-check")).to_have_text("✓ Correct")
    expect(records.get_by_role("columnheader", name="Last check")).to_be_visible()
    records.scroll_into_view_if_needed()
    screenshot(page, "dns-records")

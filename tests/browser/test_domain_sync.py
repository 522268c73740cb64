"""In the browser: a new domain goes from pending to its final status without a reload."""

from playwright.sync_api import expect

from tests.browser.steps import add_domain, use_simulator
from tests.browser.test_journeys import log_in


def test_new_domain_becomes_enabled_without_reloading(
    app, page, make_user, simulator, run_jobs, screenshot
):
    use_simulator(app, simulator)
    make_user("owner@example.org")
    log_in(page, "owner@example.org")
    add_domain(page, "acme.fr")
    expect(page.locator("#domain-status [data-status='pending']")).to_be_visible()
    expect(page.get_by_text("Talking to the mail platform")).to_be_visible()
    page.evaluate("window.__same_page = true")

    run_jobs()  # the worker does its job while the page waits

    expect(page.locator("#domain-status [data-status='enabled']")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Talking to the mail platform")).to_have_count(0)
    expect(page.get_by_role("heading", name="Expected DNS records")).to_be_visible()
    assert page.evaluate("window.__same_page") is True  # swapped in place, never reloaded
    screenshot(page, "domain-enabled")


def test_action_required_shows_failing_checks_and_records(
    app, page, make_user, simulator, run_jobs, screenshot
):
    use_simulator(app, simulator)
    make_user("owner@example.org")
    log_in(page, "owner@example.org")
    add_domain(page, "acme-dns.fr")
    run_jobs()
    expect(page.locator("#domain-status [data-status='action_required']")).to_be_visible(
        timeout=10_000
    )
    expect(page.get_by_role("heading", name="What is wrong")).to_be_visible()
    expect(page.get_by_text("Mail exchanger (MX) record")).to_be_visible()
    expect(page.get_by_role("link", name="Download as a zone file")).to_be_visible()
    screenshot(page, "domain-action-required")

    simulator.set_dns("acme-dns.fr", True)
    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text("Talking to the mail platform")).to_be_visible()
    run_jobs()
    expect(page.locator("#domain-status [data-status='enabled']")).to_be_visible(timeout=10_000)

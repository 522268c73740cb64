"""In the browser, against the simulator and the development mail catcher."""

import re

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from devtools.dev import free_port
from devtools.mailcatcher import KeepMessages
from tests.browser.steps import log_in_on_enabled_domain
from tests.browser.test_journeys import log_in
from tests.conftest import running_app
from webapp.models import DomainStatus


@pytest.fixture
def app(test_config, migrated, tmp_path):
    """The application with the development outbox on, reading what the catcher keeps."""
    outbox_dir = tmp_path / "outbox"
    catcher = Controller(KeepMessages(outbox_dir), hostname="127.0.0.1", port=free_port())
    catcher.start()
    config = {**test_config, "DEV_OUTBOX": True, "DEV_OUTBOX_DIR": str(outbox_dir)}
    try:
        with running_app(config) as app:
            app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=catcher.port)
            yield app
    finally:
        catcher.stop()


def create_mailbox(page, first, last, secondary):
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Secondary email").fill(secondary)
    page.get_by_role("button", name="Create the mailbox").click()


def test_create_search_disable_and_the_confirmation_in_the_outbox(
    page, make_user, make_domain, dimail, run_jobs, screenshot
):
    log_in_on_enabled_domain(page, make_user, make_domain, dimail)
    page.goto("/domains/acme.fr/mailboxes/")

    page.get_by_label("First name").fill("Hélène")
    page.get_by_label("Last name").fill("Dupont")
    # The address is suggested as the names are typed.
    expect(page.get_by_label("Address")).to_have_value("helene.dupont")
    page.get_by_label("Secondary email").fill("helene@home.org")
    page.get_by_role("button", name="Create the mailbox").click()
    row = page.get_by_role("row", name=re.compile("Hélène Dupont"))
    expect(row.locator("[data-status='pending']")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("")  # the form came back empty
    create_mailbox(page, "Paul", "Martin", "paul@home.org")
    expect(page.get_by_role("row", name=re.compile("Paul Martin"))).to_be_visible()
    page.evaluate("window.__same_page = true")

    run_jobs()
    expect(row.locator("[data-status='enabled']")).to_be_visible(timeout=10_000)
    expect(page.locator("#mailbox-list [data-status='syncing']")).to_have_count(0)
    assert page.evaluate("window.__same_page") is True
    screenshot(page, "mailboxes")

    page.get_by_label("Search mailboxes").fill("paul")
    expect(page.locator("#mailbox-list")).not_to_contain_text("Hélène")
    expect(page.locator("#mailbox-list")).to_contain_text("paul.martin@acme.fr")
    expect(page).to_have_url(re.compile(r"q=paul"))

    page.get_by_role("link", name="Paul Martin").click()
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#mailbox-status-title [data-status='disabled']")).to_be_visible()
    assert "no longer be able to log in" in messages[0]
    run_jobs()
    expect(page.get_by_text("Talking to the mail platform")).to_have_count(0, timeout=10_000)
    assert dimail.state()["domains"]["acme.fr"]["mailboxes"]["paul.martin"]["active"] is False
    screenshot(page, "mailbox-disabled")

    page.get_by_role("link", name="Outbox (dev)").click()
    page.get_by_role("link", name=re.compile("helene.dupont@acme.fr is ready")).click()
    expect(page.locator("body")).to_contain_text("https://webmail.example.net/code/")
    screenshot(page, "dev-outbox-message")


def test_a_mailbox_on_a_pending_domain_follows_the_domain(
    page, make_user, make_domain, dimail, run_jobs
):
    staff = make_user("staff@example.org", superuser=True)
    make_domain("later.fr", owner=staff, status=DomainStatus.PENDING)
    log_in(page, "staff@example.org")
    page.goto("/domains/later.fr/mailboxes/")
    expect(page.get_by_text("The domain is not ready yet")).to_be_visible()
    create_mailbox(page, "Ana", "Lopez", "ana@home.org")
    expect(page.get_by_role("row", name=re.compile("Ana Lopez"))).to_be_visible()
    run_jobs()
    assert "later.fr" not in dimail.state()["domains"]

    dimail.add_domain("later.fr")
    page.goto("/domains/later.fr/")
    page.get_by_label("New status").select_option("enabled")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator("#status-title [data-status='enabled']")).to_be_visible()
    run_jobs()
    page.goto("/domains/later.fr/mailboxes/ana.lopez/")
    expect(page.locator("#mailbox-status-title [data-status='enabled']")).to_be_visible()
    page.goto("/dev/outbox")
    expect(page.get_by_text("Your mailbox ana.lopez@later.fr is ready")).to_be_visible()


def test_aliases_add_and_remove(page, make_user, make_domain, dimail, run_jobs, screenshot):
    log_in_on_enabled_domain(page, make_user, make_domain, dimail)
    page.goto("/domains/acme.fr/aliases/")
    page.get_by_role("textbox", name="Alias", exact=True).fill("contact")
    page.get_by_role("textbox", name="Destination").fill("not an email")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#destination-error")).to_be_visible()
    expect(page.get_by_role("textbox", name="Alias", exact=True)).to_have_value("contact")

    page.get_by_role("textbox", name="Destination").fill("anna@elsewhere.org")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#alias-list")).to_contain_text("anna@elsewhere.org")
    expect(page.get_by_role("textbox", name="Destination")).to_have_value("")  # a fresh form
    alias_field = page.get_by_role("textbox", name="Alias", exact=True)
    expect(alias_field).to_have_value("contact")  # kept, ready for one more destination
    page.get_by_role("textbox", name="Destination").fill("bob@elsewhere.org")
    page.get_by_role("button", name="Add").click()
    group = page.locator(".alias-group", has_text="contact@acme.fr")
    expect(group.get_by_role("row")).to_have_count(3)  # header + 2 destinations
    expect(group.locator("[data-status='pending']")).to_have_count(2)
    run_jobs()
    expect(group.locator("[data-status='enabled']")).to_have_count(2, timeout=10_000)
    screenshot(page, "aliases")

    page.on("dialog", lambda dialog: dialog.accept())
    group.get_by_role("button", name="Remove anna@elsewhere.org").click()
    expect(group.locator("[data-status='deleting']")).to_be_visible()
    run_jobs()
    expect(group).not_to_contain_text("anna@elsewhere.org", timeout=10_000)
    aliases = dimail.state()["domains"]["acme.fr"]["aliases"]
    assert aliases == [{"username": "contact", "destination": "bob@elsewhere.org"}]

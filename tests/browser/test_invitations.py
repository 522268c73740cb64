"""An owner invites someone; the email arrives in the development outbox; the invitee joins."""

import re

from playwright.sync_api import expect

from tests.browser.test_journeys import log_in
from tests.browser.test_mailboxes import app  # noqa: F401 - the app with the dev outbox on
from webapp.models import DomainStatus


def test_invite_by_email_then_join_from_a_fresh_browser(
    browser, live_server, page, make_user, make_domain, run_jobs, screenshot
):
    owner = make_user("owner@example.org", name="Olive Owner")
    make_domain("team.fr", owner=owner, status=DomainStatus.ENABLED)
    log_in(page, "owner@example.org")
    page.goto("/domains/team.fr/accesses/")
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Role").select_option("administrator")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#members")).to_contain_text("newcomer@example.org")
    run_jobs()
    screenshot(page, "collaborators")

    page.goto("/dev/outbox")
    page.get_by_role(
        "link", name=re.compile("invites you to manage the mail domain team.fr")
    ).click()
    link = page.locator("a[href*='/invitations/']").first.get_attribute("href")
    path = re.sub(r"^https?://[^/]+", "", link)

    fresh = browser.new_context(base_url=live_server)
    newcomer = fresh.new_page()
    try:
        newcomer.goto(path)
        expect(newcomer.get_by_role("heading", name="Join team.fr")).to_be_visible()
        newcomer.get_by_label("Your name").fill("Nina Newcomer")
        newcomer.get_by_label("Choose a password").fill("a-long-password")
        newcomer.get_by_role("button", name="Accept the invitation").click()
        expect(newcomer).to_have_url(re.compile(r"/domains/team\.fr/$"))
        expect(newcomer.locator(".details")).to_contain_text("Administrator")
        # An administrator: manages mailboxes, may invite, but cannot grant owner.
        newcomer.get_by_role("link", name="Mailboxes").click()
        expect(newcomer.get_by_role("button", name="Create the mailbox")).to_be_visible()
        newcomer.get_by_role("link", name="Collaborators").click()
        expect(newcomer.locator("#invite-form option[value='owner']")).to_have_count(0)
        owner_row = newcomer.get_by_role("row", name=re.compile("owner@example.org"))
        expect(owner_row.get_by_role("button")).to_have_count(0)
        screenshot(newcomer, "invited-administrator")
    finally:
        fresh.close()

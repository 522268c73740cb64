"""In the browser: a session that ends while a polling page is open."""

import re

from playwright.sync_api import expect

from tests.browser.test_journeys import log_in
from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import DomainStatus
from webapp.models.base import utcnow
from webapp.services import sessions


def test_a_session_ended_elsewhere_takes_the_open_page_to_the_login_page(
    page, make_user, make_domain, screenshot
):
    owner = make_user("owner@example.org")
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.PENDING)
    domain.sync_requested_at = utcnow()  # the status panel polls every 2 s while syncing
    db.session.commit()
    log_in(page, "owner@example.org")
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/status" in request.url else 0)
    page.goto("/domains/acme.fr/")
    expect(page.get_by_role("heading", name="acme.fr")).to_be_visible()
    with page.expect_request(re.compile(r"/domains/acme\.fr/status$")):
        pass  # the page polls while the domain syncs

    sessions.end_all(owner)  # ended elsewhere: the sessions page, a new password...
    db.session.commit()

    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdomains%2Facme\.fr%2F$"))
    expect(page.get_by_text("Your session ended: log in again.")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_visible()  # a whole login page, not a fragment
    screenshot(page, "session-ended")
    seen = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == seen  # polling stopped

    page.get_by_label("Email").fill("owner@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/domains/acme\.fr/$"))  # back where it was

    page.get_by_role("link", name="Sessions").click()
    row = page.locator("tr[data-session='current']")
    expect(row).to_contain_text("this session")
    expect(page.locator("tr[data-session]")).to_have_count(1)  # the ended one is not listed
    screenshot(page, "sessions")

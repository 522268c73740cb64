"""Feedback where the person is: what they type stays theirs, each answer is said next to what
caused it (and in view on a phone), focus follows, and background polls never speak for them."""

import re
import time

from flask import request
from playwright.sync_api import expect

from tests.browser.steps import enabled_domain
from tests.browser.test_journeys import log_in

MAILBOXES = "/domains/acme.fr/mailboxes/"
STATUS_POLL = re.compile(r"/mailboxes/[^/]+/status$")


def slow_down(app, path_end: str, seconds: float) -> None:
    """The answers to `path_end` take `seconds`, as over a real network (the server is local)."""

    def wait():
        if request.path.endswith(path_end):
            time.sleep(seconds)

    # Added directly: Flask refuses before_request() once the application has served a request.
    app.before_request_funcs.setdefault(None, []).insert(0, wait)


def create(page, first, last, secondary="someone@home.org"):
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Secondary email").fill(secondary)
    page.get_by_role("button", name="Create the mailbox").click()


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    view = page.viewport_size
    # Scrolled into view to the top edge, the box may start a fraction of a pixel above it.
    return box is not None and box["y"] > -1 and box["y"] + box["height"] < view["height"] + 1


def test_the_address_typed_at_once_after_the_names_stays_exactly_as_typed(
    page, app, make_user, make_domain, dimail
):
    enabled_domain(make_user, make_domain, dimail)
    slow_down(app, "/suggest", 0.3)
    log_in(page, "owner@example.org")
    # The pause between the names and the address moves the suggestion's answer from before the
    # typing to in the middle of it (the suggestion leaves 300 ms after the names, answered
    # 300 ms later).
    for pause in (0, 350, 450, 550):
        page.goto(MAILBOXES)
        page.get_by_label("First name").click()
        page.keyboard.type("Hélène")
        page.keyboard.press("Tab")
        page.keyboard.type("Garnier")
        page.wait_for_timeout(pause)
        page.keyboard.press("Tab")
        page.keyboard.type("h.garnier")
        page.wait_for_timeout(700 - min(pause, 600))  # every suggestion has been answered
        assert page.get_by_label("Address").input_value() == "h.garnier", f"pause {pause} ms"

    page.goto(MAILBOXES)  # untouched, the address is still suggested
    page.get_by_label("First name").fill("Hélène")
    page.get_by_label("Last name").fill("Garnier")
    expect(page.get_by_label("Address")).to_have_value("helene.garnier")


def test_on_a_phone_the_answer_to_a_submit_is_in_view_with_the_focus_on_it(
    browser, live_server, app, make_user, make_domain, dimail
):
    enabled_domain(make_user, make_domain, dimail)
    slow_down(app, MAILBOXES, 0.4)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 700})
    page = context.new_page()
    try:
        log_in(page, "owner@example.org")
        page.goto(MAILBOXES)
        create(page, "Hélène", "Dupont", "not an email")
        summary = page.locator("#create-mailbox [data-error-summary]")
        expect(summary).to_be_focused()
        assert in_viewport(page, summary)
        summary.get_by_role("link", name=re.compile("Secondary email")).click()
        expect(page.get_by_label("Secondary email")).to_be_focused()

        page.get_by_label("Secondary email").fill("helene@home.org")
        button = page.get_by_role("button", name=re.compile("Create the mailbox|Creating…"))
        button.click()
        # Busy while the request runs: disabled, saying so.
        expect(button).to_have_text("Creating…")
        expect(button).to_be_disabled()
        message = page.locator("#create-mailbox [data-feedback]")
        expect(message).to_contain_text("helene.dupont@acme.fr")
        expect(message).to_be_focused()  # not left in the emptied form
        assert in_viewport(page, message)
        expect(page.get_by_role("button", name="Create the mailbox")).to_be_enabled()
    finally:
        context.close()


def test_focus_goes_to_the_result_of_disable_enable_and_check_now(
    page, make_user, make_domain, dimail, run_jobs
):
    enabled_domain(make_user, make_domain, dimail)
    log_in(page, "owner@example.org")
    page.goto(MAILBOXES)
    create(page, "Paul", "Martin")
    expect(page.get_by_role("row", name=re.compile("Paul Martin"))).to_be_visible()
    run_jobs()
    page.goto(MAILBOXES + "paul.martin/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disable").click()
    message = page.locator("#mailbox-state [data-feedback]")
    expect(message).to_be_focused()
    expect(message).to_contain_text("disabled")
    expect(page.locator("#flashes")).to_be_empty()  # said where the person is, not at the top
    page.get_by_role("button", name="Enable").click()
    expect(message).to_be_focused()
    expect(message).to_contain_text("enabled")

    page.goto("/domains/acme.fr/")
    page.get_by_role("button", name="Check now").click()
    expect(page.locator("#domain-dimail [data-feedback]")).to_be_focused()


def test_search_counts_are_announced_in_a_region_that_stays(page, make_user, make_domain, dimail):
    enabled_domain(make_user, make_domain, dimail)
    log_in(page, "owner@example.org")
    page.goto(MAILBOXES)
    create(page, "Paul", "Martin")
    expect(page.get_by_role("row", name=re.compile("Paul Martin"))).to_be_visible()
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("role", "status")
    expect(announcer).to_have_attribute("aria-live", "polite")
    page.evaluate("window.__regions = [...document.querySelectorAll('[aria-live]')]")

    page.get_by_label("Search mailboxes").fill("paul")
    expect(announcer).to_have_text("1 mailbox found")
    page.get_by_label("Search mailboxes").fill("nobody")
    expect(announcer).to_have_text("0 mailboxes found")
    # The live regions are the very elements the page started with, only their text changed.
    assert page.evaluate("window.__regions.every(region => region.isConnected)")

    page.goto("/domains/acme.fr/aliases/")
    page.get_by_label("Search aliases").fill("x")
    expect(announcer).to_have_text("0 aliases found")


# The tab's visibility as the test says, since a test's page is never really hidden.
VISIBILITY = "{ configurable: true, get: () => window.__visibility || 'visible' }"


def show_again(page):
    page.evaluate(f"""() => {{
        Object.defineProperty(document, 'visibilityState', {VISIBILITY});
        window.__visibility = 'visible';
        document.dispatchEvent(new Event('visibilitychange'));
    }}""")


def syncing_mailbox_page(page, make_user, make_domain, dimail):
    """A mailbox whose creation job has not run: its status panel polls every 2 s."""
    enabled_domain(make_user, make_domain, dimail)
    log_in(page, "owner@example.org")
    page.goto(MAILBOXES)
    create(page, "Paul", "Martin")
    expect(page.get_by_role("row", name=re.compile("Paul Martin"))).to_be_visible()
    page.goto(MAILBOXES + "paul.martin/")
    expect(page.locator("#mailbox-state[hx-trigger]")).to_have_count(1)


def test_polls_speak_as_polls_and_wait_while_the_tab_is_hidden(
    page, make_user, make_domain, dimail
):
    syncing_mailbox_page(page, make_user, make_domain, dimail)
    mode = {"poll": "abort"}

    def poll(route):
        if mode["poll"] == "abort":
            route.abort()
        elif mode["poll"] == "500":
            route.fulfill(status=500, body="")
        else:
            route.continue_()

    page.route(STATUS_POLL, poll)
    flashes = page.locator("#flashes")
    expect(flashes).to_have_text("Status updates paused: the server cannot be reached.")
    mode["poll"] = "500"
    expect(flashes).to_have_text("Status updates paused: the server answered with an error (500).")
    assert "could not complete this action" not in flashes.inner_text()
    mode["poll"] = "pass"
    show_again(page)  # the next poll, at once
    expect(flashes).to_be_empty()

    # The person's own action that cannot reach the server keeps its wording, until the server
    # answers again.
    page.route("**/disable", lambda route: route.abort())
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disable").click()
    expect(flashes).to_contain_text("The server cannot be reached. Check your connection")
    page.unroute("**/disable")
    page.get_by_role("button", name="Disable").click()
    expect(flashes).to_be_empty()
    message = page.locator("#mailbox-state [data-feedback]")
    expect(message).to_contain_text("it applies when the mailbox is created")
    expect(message).to_be_focused()

    # Hidden, the page asks nothing (nobody reads it); shown again, it catches up at once.
    polls = []
    page.on(
        "request",
        lambda req: polls.append(time.monotonic()) if STATUS_POLL.search(req.url) else None,
    )
    page.evaluate(f"""() => {{
        window.__visibility = 'hidden';
        Object.defineProperty(document, 'visibilityState', {VISIBILITY});
        document.dispatchEvent(new Event('visibilitychange'));
    }}""")
    hidden_at = time.monotonic()
    page.wait_for_timeout(2600)  # more than a poll's interval
    assert [t for t in polls if t > hidden_at + 0.3] == []
    # The polls in between kept the action's message, and the focus on it.
    expect(message).to_contain_text("it applies when the mailbox is created")
    expect(message).to_be_focused()
    shown_at = time.monotonic()
    show_again(page)
    page.wait_for_timeout(300)
    assert [t for t in polls if t > shown_at], "an immediate refresh on return"

"""What a person does in the browser, with JavaScript (htmx) on and off."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from webapp.models import Role


def log_in(page, email, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/domains/$"))
    # The URL changes as soon as the response starts; htmx binds its triggers
    # only once the document has loaded, and typing before that sends nothing.
    page.wait_for_load_state("load")


def test_log_in_create_a_domain_see_it_pending_log_out(page, make_user, screenshot):
    make_user("owner@example.org", name="Olive Owner")
    page.goto("/login")
    screenshot(page, "login")
    log_in(page, "owner@example.org")
    screenshot(page, "domains-empty")

    page.get_by_label("Domain name").fill("exämple.fr")
    page.get_by_label("Support email").fill("support@example.fr")
    page.get_by_role("button", name="Add the domain").click()

    expect(page).to_have_url(re.compile(r"/domains/xn--exmple-cua\.fr/$"))
    expect(page.get_by_role("heading", name="exämple.fr", level=1)).to_be_visible()
    expect(page.locator("#status-title [data-status]")).to_have_attribute("data-status", "pending")
    expect(page.locator("#flashes")).to_contain_text("was created")
    screenshot(page, "domain-page")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Domains").click()
    row = page.get_by_role("row", name=re.compile("exämple.fr"))
    expect(row.locator("[data-status]")).to_have_text("Pending")
    expect(row).to_contain_text("Owner")
    screenshot(page, "domains-list")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/domains/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert page.console_errors == []


def test_invalid_form_shows_errors_next_to_fields_and_keeps_input(page, make_user, screenshot):
    make_user("owner@example.org")
    log_in(page, "owner@example.org")
    page.get_by_label("Domain name").fill("https://bad_name.fr/")
    page.get_by_label("Support email").fill("not-an-email")
    page.get_by_role("button", name="Add the domain").click()

    name_error = page.locator("#name-error")
    expect(name_error).to_contain_text("without http")
    expect(page.locator("#support_email-error")).to_be_visible()
    expect(page.get_by_label("Domain name")).to_have_value("https://bad_name.fr/")
    expect(page.get_by_label("Support email")).to_have_value("not-an-email")
    expect(page).to_have_url(re.compile(r"/domains/$"))  # swapped in place by htmx
    screenshot(page, "domain-form-errors")


def test_active_search_filters_without_a_full_reload(page, make_user, make_domain):
    me = make_user("owner@example.org")
    for name in ("alpha.fr", "beta.fr", "gamma.fr"):
        make_domain(name, owner=me)
    log_in(page, "owner@example.org")
    page.evaluate("window.__same_page = true")
    page.get_by_label("Search domains").fill("bet")
    expect(page.locator("#domain-list")).not_to_contain_text("alpha.fr")
    expect(page.locator("#domain-list")).to_contain_text("beta.fr")
    expect(page).to_have_url(re.compile(r"q=bet"))
    assert page.evaluate("window.__same_page") is True


def test_viewer_sees_no_create_controls_and_404_elsewhere(
    app, page, make_user, make_domain, grant, screenshot
):
    app.config["DOMAIN_CREATION"] = "superusers"
    owner = make_user("owner@example.org")
    shared = make_domain("shared.fr", owner=owner)
    make_domain("private.fr", owner=owner)
    viewer = make_user("viewer@example.org")
    grant(viewer, shared, Role.VIEWER)

    log_in(page, "viewer@example.org")
    expect(page.get_by_role("button", name="Add the domain")).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("shared.fr"))).to_contain_text("Viewer")
    expect(page.locator("#domain-list")).not_to_contain_text("private.fr")

    page.get_by_role("link", name="shared.fr").click()
    expect(page.get_by_text("Set the status by hand")).to_have_count(0)
    screenshot(page, "domain-page-viewer")

    response = page.goto("/domains/private.fr/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_superuser_disables_a_domain(page, make_user, make_domain):
    make_domain("example.fr", owner=make_user())
    make_user("staff@example.org", superuser=True)
    log_in(page, "staff@example.org")
    page.goto("/domains/example.fr/")
    page.get_by_label("New status").select_option("disabled")
    page.get_by_role("button", name="Set status").click()
    badge = page.locator("#status-title [data-status]")
    expect(badge).to_have_attribute("data-status", "disabled")
    expect(page.locator("#flashes")).to_contain_text("now disabled")


def test_everything_works_without_javascript(browser, live_server, make_user):
    make_user("owner@example.org")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "owner@example.org")
        page.get_by_label("Domain name").fill("bad name")
        page.get_by_label("Support email").fill("support@nojs.fr")
        page.get_by_role("button", name="Add the domain").click()
        expect(page.locator("#name-error")).to_contain_text("spaces")
        expect(page.get_by_label("Support email")).to_have_value("support@nojs.fr")

        page.get_by_label("Domain name").fill("nojs.fr")
        page.get_by_role("button", name="Add the domain").click()
        expect(page).to_have_url(re.compile(r"/domains/nojs\.fr/$"))

        page.goto("/domains/")
        page.get_by_label("Search domains").fill("nojs")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"q=nojs"))
        expect(page.locator("#domain-list")).to_contain_text("nojs.fr")
    finally:
        context.close()


def test_phone_sized_screen(browser, live_server, make_user, make_domain, screenshot):
    me = make_user("owner@example.org")
    make_domain("example.fr", owner=me)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, "owner@example.org")
        # The URL changes when the navigation commits; the layout is final once the page and
        # its stylesheet have loaded.
        page.wait_for_load_state("load")
        expect(page.locator("#domain-list")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        screenshot(page, "domains-phone")
    finally:
        context.close()

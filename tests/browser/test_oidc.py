"""In the browser: signing in with the identity provider's button, at the provider's own pages
(tests/oidc: a real oidc-provider on a loopback port), and logging out of both.

The provider's cookies are SameSite=Lax and, over plain http, not Secure: Chromium keeps them
on http://127.0.0.1, so nothing more is needed (a SameSite=None cookie would need Secure, which
Chromium refuses over http).
"""

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import running_app
from webapp.models import DomainStatus


@pytest.fixture
def app(test_config, migrated, oidc_provider):
    base = f"http://127.0.0.1:{oidc_provider.browser_port}"  # registered at the provider
    settings = oidc_provider.config(OIDC_LOGIN_LABEL="ProConnect", BASE_URL=base)
    with running_app({**test_config, **settings}) as app:
        yield app


@pytest.fixture
def live_server(app, oidc_provider):
    server = make_server("127.0.0.1", oidc_provider.browser_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def offline_page(page):
    # The provider's pages load a web font: there is no network here, so it is not waited for.
    page.route(re.compile(r"^https://fonts\."), lambda route: route.abort())
    return page


def test_sign_in_at_the_provider_and_land_on_ones_domains_then_log_out_of_both(
    offline_page, oidc_provider, make_user, make_domain, screenshot
):
    page = offline_page
    alice = make_user("alice@example.org", name="Alice Martin")
    make_domain("acme.fr", owner=alice, status=DomainStatus.ENABLED)
    make_domain("elsewhere.fr", owner=make_user("someone@example.org"))

    page.goto("/login")
    button = page.get_by_role("link", name="Sign in with ProConnect")
    expect(button).to_be_visible()
    screenshot(page, "login-sso")
    button.click()

    expect(page).to_have_url(re.compile(re.escape(oidc_provider.issuer) + "/interaction/"))
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # the consent, at the provider

    expect(page).to_have_url(re.compile(r"/domains/$"))
    expect(page.get_by_role("link", name="acme.fr")).to_be_visible()
    expect(page.get_by_text("elsewhere.fr")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own page
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#flashes")).to_contain_text("You are logged out.")

    # Logged out at the provider too: its button asks who is there again.
    page.get_by_role("link", name="Sign in with ProConnect").click()
    expect(page.locator("input[name=login]")).to_be_visible()

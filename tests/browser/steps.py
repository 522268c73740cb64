"""Steps that several browser journeys begin with, written once."""

import re

from playwright.sync_api import expect

from tests.browser.test_journeys import log_in
from webapp.models import DomainStatus


def use_simulator(app, simulator):
    """Point the app at the dimail simulator the test started (its workers use the same app)."""
    app.config.update(
        DIMAIL_URL=simulator.url, DIMAIL_USER=simulator.user, DIMAIL_PASSWORD=simulator.password
    )


def add_domain(page, name):
    """Add a domain through the form on the domains page, as its owner would."""
    page.get_by_label("Domain name").fill(name)
    page.get_by_label("Support email").fill(f"it@{name}")
    page.get_by_role("button", name="Add the domain").click()
    expect(page).to_have_url(re.compile(rf"/domains/{re.escape(name)}/$"))


def enabled_domain(make_user, make_domain, dimail, name="acme.fr", email="owner@example.org"):
    """A domain already enabled here and known to dimail, owned by a new account."""
    owner = make_user(email)
    make_domain(name, owner=owner, status=DomainStatus.ENABLED)
    dimail.add_domain(name)
    return owner


def log_in_on_enabled_domain(page, make_user, make_domain, dimail, name="acme.fr"):
    owner = enabled_domain(make_user, make_domain, dimail, name)
    log_in(page, owner.email)
    return owner

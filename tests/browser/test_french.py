"""The main journey in a French browser (Accept-Language: fr): log in, create a domain, a
mailbox and an invitation, every step read in French; `make screenshots` keeps the pages in
docs/screenshots/fr/."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from webapp.models import DomainStatus


@pytest.fixture
def page_fr(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def log_in_fr(page, email):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/domains/$"))
    page.wait_for_load_state("load")


def test_the_main_journey_in_french(page_fr, make_user, make_domain, dimail, run_jobs, screenshot):
    page = page_fr
    owner = make_user("owner@example.org", name="Olive Owner")
    page.goto("/login")
    screenshot(page, "fr/login")
    log_in_fr(page, "owner@example.org")

    page.get_by_label("Nom de domaine").fill("exämple.fr")
    page.get_by_label("Adresse e-mail du support").fill("support@example.fr")
    page.get_by_role("button", name="Ajouter le domaine").click()
    expect(page).to_have_url(re.compile(r"/domains/xn--exmple-cua\.fr/$"))
    expect(page.locator("#status-title [data-status]")).to_have_text("En attente")
    expect(page.locator("#flashes")).to_contain_text("a été créé")
    screenshot(page, "fr/domain-page")

    make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    dimail.add_domain("acme.fr")
    page.goto("/domains/acme.fr/mailboxes/")
    page.get_by_label("Prénom", exact=True).fill("Benoît")
    page.get_by_label("Nom", exact=True).fill("Œuvray")
    expect(page.get_by_label("Adresse", exact=True)).to_have_value("benoit.oeuvray")
    page.get_by_label("Adresse e-mail secondaire").fill("benoit@home.org")
    page.get_by_role("button", name="Créer la boîte mail").click()
    row = page.get_by_role("row", name=re.compile("Benoît Œuvray"))
    expect(row).to_be_visible()
    run_jobs()
    expect(row.locator("[data-status='enabled']")).to_be_visible(timeout=10_000)
    screenshot(page, "fr/mailboxes")

    page.goto("/domains/acme.fr/accesses/")
    page.get_by_label("Adresse e-mail").fill("nouvelle@example.org")
    page.get_by_label("Rôle").select_option("administrator")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator("#members")).to_contain_text("nouvelle@example.org")
    expect(page.locator("#members")).to_contain_text("En attente")
    screenshot(page, "fr/collaborators")

    page.goto("/domains/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Domaines de messagerie")
    screenshot(page, "fr/domains-list")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.console_errors == []

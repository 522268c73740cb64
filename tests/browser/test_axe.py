"""axe-core against WCAG 2.2 A/AA on every page state, in English and in French: 0 violations.

The states come from the URL map (tests/browser/axe_states.py), so a page added later is
checked without touching this test; the summary of the run says how many were checked.
"""

import time
from itertools import product

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser import axe
from tests.browser.axe_states import NOT_PAGES, VIEWER, extra_states, route_states, seed_more
from tests.browser.pages import seed
from tests.browser.test_journeys import log_in
from tests.conftest import running_app
from tests.oidc.fixtures import provider_nowhere
from webapp.extensions import db
from webapp.models import User

LANGUAGES = {"en": "en-GB", "fr": "fr-FR"}
TOO_LARGE = 256 * 1024  # bytes: MAX_CONTENT_LENGTH for this test, so a 413 is cheap to reach
# Replaces the element of the page that has the fragment's id with the fragment, as htmx does,
# then lets htmx see the new content.
SWAP_IN = """async (url) => {
  const answer = await fetch(url, {headers: {'HX-Request': 'true'}});
  const fragment = document.createRange().createContextualFragment(await answer.text());
  const root = fragment.firstElementChild;
  const old = root && root.id && document.getElementById(root.id);
  if (!old) return `${url} answered no element with an id that the page has`;
  old.replaceWith(fragment);
  htmx.process(document.body);
  return '';
}"""
# A form sent by the browser itself (no htmx), with a body larger than the site accepts.
POST_TOO_LARGE = """([url, size]) => {
  const form = Object.assign(document.createElement('form'),
                             {method: 'post', action: url, enctype: 'multipart/form-data'});
  const text = Object.assign(document.createElement('textarea'), {name: 'name'});
  text.value = 'x'.repeat(size);
  form.append(text);
  document.body.append(form);
  form.submit();
}"""


def submit(page, lang, form, fields, shown="[data-error-summary], .field-error"):
    for name, value in fields.items():
        page.locator(f"{form} [name='{name}']").fill(value.format(lang=lang))
    page.locator(f"{form} [type=submit]").first.click()
    page.locator(shown).first.wait_for()


def swap_in(page, lang, url):
    problem = page.evaluate(SWAP_IN, url)
    assert not problem, problem


def upload_too_large(page, lang):
    page.locator("#import-form input[type=file]").set_input_files(
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": b"a,b\r\n" * TOO_LARGE}]
    )
    page.locator("#import-form [type=submit]").click()
    page.locator("#import-form .field-error").wait_for()


def post_too_large(page, lang, url):
    with page.expect_navigation() as answer:
        page.evaluate(POST_TOO_LARGE, [url, TOO_LARGE * 2])
    assert answer.value.status == 413, answer.value.status


def expired_form(page, lang):
    form = page.locator("main form[method=post]")
    form.locator("[name=csrf_token]").evaluate("input => { input.value = 'expired' }")
    with page.expect_navigation() as answer:
        form.evaluate("form => form.submit()")
    assert answer.value.status == 400, answer.value.status


ACTIONS = {
    "submit": submit,
    "swap_in": swap_in,
    "upload_too_large": upload_too_large,
    "post_too_large": post_too_large,
    "expired_form": expired_form,
}


@pytest.fixture
def app(test_config, migrated):
    # With a provider configured (where nothing listens): the login page shows its button, and
    # its routes answer what a person meets when it cannot be reached.
    with running_app({**test_config, **provider_nowhere()}) as app:
        yield app


@pytest.fixture
def samples(app, make_user, make_domain, grant):
    app.config["MAX_CONTENT_LENGTH"] = TOO_LARGE
    token = seed(make_user, make_domain, grant)["token"]
    return seed_more("staff@example.org", token)


@pytest.fixture
def states(app, samples):
    return route_states(app, samples) + extra_states(samples)


def _contexts(browser, live_server, script):
    """A browser context per language and person, logged in once per person."""
    logged_in = {"anonymous": None}
    for who, email in (("staff", "staff@example.org"), ("viewer", VIEWER)):
        context = browser.new_context(base_url=live_server)
        log_in(context.new_page(), email)
        logged_in[who] = context.storage_state()
        context.close()
    contexts = {}
    for (lang, locale), (who, cookies) in product(LANGUAGES.items(), logged_in.items()):
        context = browser.new_context(base_url=live_server, locale=locale, storage_state=cookies)
        context.set_default_timeout(10_000)
        axe.add_to(context, script)
        contexts[lang, who] = context.new_page()
    return contexts


def reach(page, state, lang, seen: set) -> list[str] | None:
    """Show `state` in `page`, then start axe on it: the problems met on the way, or None for a
    page already checked (a route that redirects to another one)."""
    where = f"{state.name} ({lang}, {state.who}): {state.url}"
    try:
        response = page.goto(state.url)
        if state.act:
            ACTIONS[state.act[0]](page, lang, *state.act[1:])
        elif response.status != state.status:
            return [f"{where} answered {response.status}, not {state.status}"]
    except (PlaywrightError, AssertionError) as error:
        return [f"{where}: {str(error).splitlines()[0]}"]
    if not state.act and (page.url, state.who) in seen:
        return None
    seen.add((page.url, state.who))
    if not page.title():
        return [f"{where} is no full page: an htmx fragment? add it to FRAGMENTS"]
    if (found := page.evaluate("document.documentElement.lang")) != lang:
        return [f"{where} is in {found!r}"]
    axe.start(page)
    return []


def check_all(pages, states) -> tuple[list[str], dict]:
    """Every state in every language: the problems, and how many states each language had."""
    problems, checked, seen = [], dict.fromkeys(LANGUAGES, 0), {lang: set() for lang in LANGUAGES}
    for state in states:
        # One language's page loads while the other's is being checked.
        reached = []
        for lang in LANGUAGES:
            failed = reach(pages[lang, state.who], state, lang, seen[lang])
            problems += failed or []
            if failed == []:
                reached.append(lang)
        for lang in reached:
            page = pages[lang, state.who]
            found = axe.violations(page)
            problems += axe.describe(f"{state.name} ({lang}, {state.who})", page.url, found)
            checked[lang] += 1
    return problems, checked


def test_every_page_state_has_no_wcag_22_aa_violation_in_english_and_french(
    browser, live_server, app, states, axe_script, request
):
    get_routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    unchecked = get_routes - NOT_PAGES - {s.endpoint for s in states}
    assert unchecked == set(), f"GET routes with no page state: {sorted(unchecked)}"
    pages = _contexts(browser, live_server, axe_script)
    started = time.monotonic()
    problems, checked = check_all(pages, states)
    for page in pages.values():
        page.context.close()
    count = len([line for line in problems if not line.startswith(" ")])
    each = ", ".join(f"{n} in {lang}" for lang, n in checked.items())
    request.config.stash[axe.SUMMARY] = (
        f"axe: {sum(checked.values())} page states checked ({each}), {count} violations "
        f"(WCAG 2.2 A/AA), in {time.monotonic() - started:.0f} s"
    )
    assert problems == [], "\n".join(problems)


def test_the_routes_left_out_answer_no_html_page(app, samples, login_as):
    """NOT_PAGES is for files and plain text: an HTML page listed there fails here."""
    client = login_as(db.session.scalar(db.select(User).where(User.is_superuser)))
    answers = {s.url: client.get(s.url) for s in route_states(app, samples, left_out=True)}
    assert len(answers) >= len(NOT_PAGES)
    html = [url for url, answer in answers.items() if answer.mimetype == "text/html"]
    assert html == [] and all(a.status_code == 200 for a in answers.values()), answers


def test_axe_reports_a_button_with_no_name(browser, live_server, axe_script):
    """The check can fail: a page given a button with no text is reported, rule and element."""
    context = browser.new_context(base_url=live_server)
    axe.add_to(context, axe_script)
    page = context.new_page()
    page.goto("/login")
    page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    axe.start(page)
    found = axe.violations(page)
    context.close()
    assert [v["id"] for v in found] == ["button-name"]
    assert axe.describe("login", "/login", found)[1].startswith(
        "    #main > button: Fix any of the following"
    )

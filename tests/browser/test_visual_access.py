"""What people who see the page differently meet: Windows high contrast (forced colours), small
targets for unsteady hands (WCAG 2.5.8), and a browser without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import LONG_MAILBOX, RECORDS, log_in_as_staff, seed

# WCAG 2.5.8: a target is at least 24 x 24 px, or a 24 px circle centred on it touches no other
# target (nor the circle of another small one). Links inside a sentence are exempt.
SMALL_TARGETS = """() => {
  const selector = 'a[href], button, select, input:not([type=hidden]), summary';
  const seen = [...document.querySelectorAll(selector)]
    .filter(el => !el.closest('.visually-hidden') && getComputedStyle(el).visibility !== 'hidden')
    .map(el => ({el, box: el.getBoundingClientRect()}))
    .filter(({box}) => box.width > 1 && box.height > 1 && box.bottom > 0);
  const inSentence = el => getComputedStyle(el).display === 'inline'
    && el.parentElement.textContent.trim().length > el.textContent.trim().length + 2;
  const small = t => t.box.width < 24 || t.box.height < 24;
  const centre = b => [b.left + b.width / 2, b.top + b.height / 2];
  const gap = ([x, y], b) =>
    Math.hypot(Math.max(b.left - x, 0, x - b.right), Math.max(b.top - y, 0, y - b.bottom));
  const out = [];
  for (const t of seen) {
    if (!small(t) || inSentence(t.el)) continue;
    const c = centre(t.box);
    const crowded = seen.some(o => o !== t && (small(o)
      ? Math.hypot(c[0] - centre(o.box)[0], c[1] - centre(o.box)[1]) < 24
      : gap(c, o.box) < 12));
    if (crowded) {
      const name = (t.el.textContent || t.el.name || t.el.type).trim().slice(0, 40);
      const size = `${Math.round(t.box.width)}x${Math.round(t.box.height)}`;
      out.push(`${t.el.tagName.toLowerCase()} "${name}" ${size}`);
    }
  }
  return out;
}"""


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_in_forced_colours_only_the_current_tab_is_marked_and_selects_keep_an_arrow(
    context, make_user, make_domain, grant, screenshot
):
    seed(make_user, make_domain, grant)
    page = context.new_page()
    log_in_as_staff(page)
    page.goto("/domains/acme.fr/accesses/")
    page.emulate_media(forced_colors="active")
    marks = page.evaluate("""() => {
      const canvas = getComputedStyle(document.body).backgroundColor;
      const mark = a => getComputedStyle(a).borderBottomColor !== canvas;
      return [...document.querySelectorAll('.tabs a, .nav-list a')]
        .map(a => [a.textContent.trim(), a.hasAttribute('aria-current'), mark(a)]);
    }""")
    assert ["Collaborators", True, True] in marks and ["Domains", True, True] in marks
    assert [m for m in marks if m[2] != m[1]] == [], "marked but not current, or the reverse"

    arrows = page.evaluate("""() => [...document.querySelectorAll('select')].map(s => {
      const style = getComputedStyle(s);
      return style.appearance !== 'none' || style.backgroundImage !== 'none';
    })""")
    assert arrows and all(arrows), "a select without its arrow"
    borders = page.evaluate("""() => [...document.querySelectorAll('.badge, .button')]
      .map(e => getComputedStyle(e).borderTopStyle !== 'none'
        && parseFloat(getComputedStyle(e).borderTopWidth) >= 1)""")
    assert borders and all(borders)
    screenshot(page, "forced-colours-collaborators")


@pytest.mark.parametrize("who", ["visitor", "staff"])
def test_every_target_is_24px_or_spaced(context, make_user, make_domain, grant, who):
    seed(make_user, make_domain, grant)
    page = context.new_page()
    problems = []
    pages = ["/login", "/password/forgot"]
    if who == "staff":
        log_in_as_staff(page)
        pages = ["/domains/acme.fr/accesses/", "/domains/acme.fr/", "/domains/",
                 "/domains/acme.fr/aliases/", "/account/sessions"]  # fmt: skip
    for url in pages:
        page.goto(url)
        problems += [f"{url}: {target}" for target in page.evaluate(SMALL_TARGETS)]
    assert problems == [], "\n".join(problems)


def test_copy_buttons_show_and_copy_only_with_javascript(
    browser, live_server, context, make_user, make_domain, grant
):
    seed(make_user, make_domain, grant)
    bare = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = bare.new_page()
        log_in_as_staff(page)
        page.goto("/domains/acme.fr/")
        expect(page.locator("#record-3")).to_have_text(RECORDS[2]["value"])  # still there to select
        expect(page.locator("[data-copy]")).to_have_count(3)
        for n in range(3):
            expect(page.locator("[data-copy]").nth(n)).to_be_hidden()
    finally:
        bare.close()

    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    log_in_as_staff(page)
    page.goto("/domains/acme.fr/")
    copy = page.get_by_role("button", name="Copy the TXT value of dimail._domainkey")
    expect(copy).to_be_visible()
    copy = page.locator("[data-copy='record-3']")  # its name changes to "Copied…" once clicked
    copy.click()
    expect(copy).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == RECORDS[2]["value"]


def test_without_javascript_back_after_a_confirmation_does_not_resubmit(
    browser, live_server, make_user, make_domain, grant
):
    seed(make_user, make_domain, grant)
    bare = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = bare.new_page()
        log_in_as_staff(page)
        page.goto(f"/domains/acme.fr/mailboxes/{LONG_MAILBOX}/")
        page.get_by_role("button", name="Disable").click()
        question = page.get_by_role("heading", name=f"Disable {LONG_MAILBOX}@acme.fr?")
        expect(question).to_be_visible()
        page.get_by_role("button", name="Disable the mailbox").click()
        expect(page).to_have_url(re.compile(rf"/mailboxes/{re.escape(LONG_MAILBOX)}/$"))
        page.go_back()
        expect(question).to_be_visible()  # the page again, not "Confirm form resubmission"
    finally:
        bare.close()

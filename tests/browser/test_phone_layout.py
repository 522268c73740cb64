"""At 390 px (a common phone), no page scrolls sideways and every control is on screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import PAGES, PUBLIC_PAGES, log_in_as_staff, seed

PHONE = {"width": 390, "height": 844}

# Controls whose box lies (even partly) outside the viewport's width, and boxes that scroll
# sideways (a table in its scroller): a person on a phone would have to scroll to see them.
OFF_SCREEN = """() => {
  const out = [];
  const controls = 'a, button, select, input:not([type=hidden]), summary';
  for (const el of document.querySelectorAll('main :is(' + controls + ')')) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || el.closest('[hidden]')) continue;  // not shown
    if (box.left < 0 || box.right > window.innerWidth + 0.5) {
      const what = (el.textContent || el.name || '').trim().slice(0, 40);
      const where = `${Math.round(box.left)}..${Math.round(box.right)}px`;
      out.push(`${el.tagName.toLowerCase()} "${what}" is off screen at ${where}`);
    }
  }
  for (const el of document.querySelectorAll('main *')) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      const sizes = `${el.scrollWidth}px in ${el.clientWidth}px`;
      out.push(`${el.tagName.toLowerCase()}.${el.className} scrolls sideways (${sizes})`);
    }
  }
  return out;
}"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def layout_problems(page, name, url, status) -> list[str]:
    response = page.goto(url)
    page.wait_for_load_state("load")
    if response.status != status:
        return [f"{name}: {url} answered {response.status}, not {status}"]
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.evaluate("window.innerWidth"):
        problems.append(f"{name}: {url} is {width}px wide")
    problems += [f"{name}: {url}: {what}" for what in page.evaluate(OFF_SCREEN)]
    return problems


def test_no_page_scrolls_sideways_at_390px(phone, make_user, make_domain, grant):
    token = seed(make_user, make_domain, grant)["token"]
    problems = []
    for name, url, status in PUBLIC_PAGES:
        problems += layout_problems(phone, name, url.format(token=token), status)
    log_in_as_staff(phone)
    for name, url, status in PAGES:
        problems += layout_problems(phone, name, url, status)
    assert problems == [], "\n".join(problems)


def test_every_collaborator_action_is_within_reach_on_a_phone(
    phone, make_user, make_domain, grant, screenshot
):
    seed(make_user, make_domain, grant)
    log_in_as_staff(phone)
    phone.goto("/domains/acme.fr/accesses/")
    rows = phone.locator("#members-title ~ .table-wrap tbody tr")
    expect(rows).to_have_count(4)  # staff and three collaborators, each with a role to change
    width = phone.evaluate("window.innerWidth")
    for i in range(4):
        controls = rows.nth(i).locator("select, button")
        expect(controls).to_have_count(3)  # the role, its Change button, Remove (or Leave)
        for n in range(3):
            box = controls.nth(n).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (i, n, box)
    screenshot(phone, "phone-collaborators")
    phone.goto("/domains/acme.fr/")
    screenshot(phone, "phone-domain")
    phone.goto("/domains/acme.fr/mailboxes/")
    screenshot(phone, "phone-mailboxes")

"""axe-core (tests/axe/, pinned by its package-lock.json) run in the page Playwright shows.

The script comes from the npm registry through `npm ci`, never from a CDN: the test set-up
installs it when tests/axe/node_modules is missing or older than the lock file.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

AXE_DIR = Path(__file__).resolve().parents[1] / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
LOCK = AXE_DIR / "package-lock.json"
# Only violations fail. What axe cannot decide alone ("needs review") is not one: the selects'
# contrast, for instance, whose arrow is painted by a background gradient that axe cannot see
# through (their text is --text #1b1b1b on #fff, 17:1, and forced colours give them the system's
# own arrow: tests/browser/test_visual_access.py).
# Where the test leaves its one-line summary, printed at the end of the pytest run.
SUMMARY = pytest.StashKey[str]()
# WCAG 2.2 A and AA, with the rules of the earlier versions that 2.2 keeps.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# Started on the page's next turn and not waited for (axe.run works mostly synchronously), so
# that the page of one language is checked while the other one loads (each page has its own
# renderer process); FOUND waits for the answer. Rules that passed are counted: none means axe
# did not look at the page at all.
# The page is checked once it is at rest: a form whose htmx request just ended fades back from
# opacity .7 over .2 s (static/app.css), and axe measuring colours mid-fade reported contrast
# that no reader sees for longer than that (CI, 2026-12-02). So: no htmx request, swap or
# settle under way, then every finite animation and transition finished; the syncing badge's
# endless pulse is left running.
START = """(tags) => {
  const later = ms => new Promise(resolve => setTimeout(resolve, ms));
  const busy = '.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added';
  const atRest = async () => {
    for (let tries = 0; tries < 250 && document.querySelector(busy); tries++) await later(20);
    const finite = document.getAnimations()
      .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity);
    await Promise.all(finite.map(a => a.finished.catch(() => null)));
  };
  window.__axe = later(0).then(atRest).then(() => axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
  })).then(results => ({
    passed: results.passes.length,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
    })),
  }));
}"""
FOUND = "() => window.__axe"


def install() -> Path:
    """axe.min.js, installed by `npm ci` first if node_modules is missing or out of date."""
    if AXE_SCRIPT.exists() and AXE_SCRIPT.stat().st_mtime >= LOCK.stat().st_mtime:
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is missing: apt-get install nodejs npm"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=AXE_DIR, check=True, timeout=300,
    )  # fmt: skip
    AXE_SCRIPT.touch()  # npm keeps the package's own dates: newer than the lock from now on
    return AXE_SCRIPT


def add_to(context, script: Path) -> None:
    """axe in every page of `context`, before the page's own scripts: an init script is not
    subject to the page's Content-Security-Policy (script-src 'self'), which an inline
    <script> added to the page would be; the app stays tested under its real policy."""
    context.add_init_script(path=str(script))


def start(page) -> None:
    """Check the page as it is now against WCAG 2.2 A/AA; `violations` gives what was found."""
    page.evaluate(START, TAGS)


def violations(page) -> list[dict]:
    found = page.evaluate(FOUND)
    assert found["passed"] > 0, f"axe checked no rule on {page.url}"
    return found["violations"]


def describe(state: str, url: str, found: list[dict]) -> list[str]:
    """One readable line per rule broken, then one per element that breaks it."""
    lines = []
    for violation in found:
        lines.append(f"{state} ({url}): {violation['id']} [{violation['impact']}] "
                     f"{violation['help']}")  # fmt: skip
        for node in violation["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())[:300]
            lines.append(f"    {node['target']}: {summary}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return lines

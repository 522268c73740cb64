"""Bytes of a first visit, and requests of the next page view, for the static files.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/static_bytes.py

Builds the application on a throw-away SQLite database, fetches the login page through the
Flask test client, then each static file it links, twice: as a browser that takes gzip does,
and without compression, which is what every browser got before the files were compressed
(webapp/static_files.py). Prints the bytes of each and the totals, and how many requests a
second page view makes for them: before, `Cache-Control: no-cache` made the browser ask again
for each file (a 304 at best); now the hashed names are `immutable` for a year, so none. Writes
the table to the "static-bytes" section of bench/RESULTS.md and exits 0.
"""

import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import machine  # noqa: E402
from report import write_section as report_section  # noqa: E402

from webapp import create_app  # noqa: E402

LINKED = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _fetch(client, url: str) -> tuple[int, int, str]:
    """(bytes without compression, bytes sent to a gzip browser, its Cache-Control)."""
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    return len(plain.get_data()), len(zipped.get_data()), zipped.headers.get("Cache-Control", "")


def measure() -> tuple[str, str]:
    folder = tempfile.mkdtemp(prefix="static-bytes-")
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "STATIC_BUILD_DIR": os.path.join(folder, "static"),
        }
    )
    client = app.test_client()
    page = client.get("/login")
    html = len(page.get_data())
    rows, before, after, refetched = [], html, html, 0
    for url in LINKED.findall(page.get_data(as_text=True)):
        plain, zipped, cache = _fetch(client, url)
        before, after = before + plain, after + zipped
        refetched += "immutable" not in cache
        rows.append(f"{url:<48} {plain:>8} {zipped:>8}   {cache}")
    table = "\n".join(
        [
            f"{'file':<48} {'before':>8} {'after':>8}   Cache-Control now",
            f"{'/login (HTML, not compressed by the app)':<48} {html:>8} {html:>8}   no-store",
            *rows,
            f"{'first visit, in all':<48} {before:>8} {after:>8}",
        ]
    )
    count = len(rows)
    summary = (
        f"First visit: {before:,} bytes before, {after:,} after ({after / before:.0%}). "
        f"Next page view: {count} requests for static files before (no-cache: each asked "
        f"again), {refetched} now."
    )
    return table, summary


def main() -> int:
    load_before = os.getloadavg()
    table, summary = measure()
    print(table)
    print()
    print(summary)
    where = report_section(
        "static-bytes",
        "## Static files: bytes of a first visit\n\n"
        "Produced by `.venv/bin/python bench/static_bytes.py`.\n\n"
        f"```\n{table}\n```\n\n{summary}\n\n"
        f"{machine(load_before, 'The test client runs in the same process as the app.')}\n",
    )
    print(f"\nwritten to {where.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

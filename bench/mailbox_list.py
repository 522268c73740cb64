"""How the mailbox list page holds up as a domain grows: 100, 1,000 and 10,000 mailboxes.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/mailbox_list.py

The application is built with `create_app()` on a SQLite database in a temporary folder, which
is removed at the end; the schema comes from the real migrations. To measure another database
instead, set BENCH_DATABASE_URL (e.g. postgresql://bench@localhost/bench). That database must be
empty and used for nothing else: the script migrates it, fills it, then drops every table it
created, data included. DATABASE_URL is deliberately not used, so that pointing the bench at a
real database always takes an explicit choice.

For each size, three pages are requested 30 times each (after two warm-up requests) through the
Flask test client, logged in as the domain's owner:

- `first`: /domains/<d>/mailboxes/ (page 1, sorted by name);
- `search`: the same with ?q= matching 3 mailboxes whatever the size;
- `last`: the last page.

The table gives the median and the 95th percentile (nearest rank) of the response times in
milliseconds, and the SQL queries each request ran (the same for every request of a row, or the
script says otherwise). It exits 0 once the table is printed, 1 if a page did not answer 200.
"""

import logging
import math
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.config import normalise_database_url  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Domain,
    DomainAccess,
    DomainStatus,
    Mailbox,
    Role,  # noqa: E402
    User,
)
from webapp.models.base import utcnow  # noqa: E402
from webapp.models.mailbox import name_key  # noqa: E402

SIZES = (100, 1_000, 10_000)
REPEAT = 30
WARM_UP = 2
DOMAIN = "bench.example"
EMAIL = "owner@bench.example"
PASSWORD = "bench-password-" + secrets.token_hex(4)
# Three mailboxes, all among the first hundred, carry this in their last name.
NEEDLE = "quixote"
NEEDLE_AT = (7, 42, 77)
FIRST_NAMES = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def config(database_url: str) -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "APP_ENV": "testing",
        "TESTING": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "REDIS_URL": "redis://127.0.0.1:9/0",  # never reached: the list page enqueues nothing
        "DIMAIL_URL": "http://127.0.0.1:9",
        "SESSION_COOKIE_SECURE": False,  # the test client talks plain http
        "REMEMBER_COOKIE_SECURE": False,
    }


def mailbox_rows(domain_id: int, start: int, stop: int) -> list[dict]:
    now = utcnow()
    rows = []
    for i in range(start, stop):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = f"{NEEDLE.capitalize()}{i}" if i in NEEDLE_AT else f"Martin{i:05}"
        rows.append(
            {
                "domain_id": domain_id,
                "local_part": f"{first.lower()[:1]}.{last.lower()}",
                "first_name": first,
                "last_name": last,
                "name_key": name_key(first, last),
                "secondary_email": f"person{i}@home.example",
                "status": "enabled",
                "created_at": now,
                "enabled_wanted": True,
                "dimail_created_at": now,
                "dimail_enabled": True,
                "names_synced": True,
            }
        )
    return rows


def log_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    answer = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise SystemExit(f"could not log in: {answer.status_code}")


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def measure(client, url: str, counter: QueryCounter, expect: str) -> tuple[list[float], set[int]]:
    times, queries = [], set()
    for n in range(WARM_UP + REPEAT):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or expect not in response.get_data(as_text=True):
            print(f"{url} answered {response.status_code}, without {expect!r}", file=sys.stderr)
            raise SystemExit(1)
        if n >= WARM_UP:
            times.append(elapsed)
            queries.add(counter.count)
    return times, queries


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def run(database_url: str) -> tuple[list[tuple], Flask]:
    app = create_app(config(database_url))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # keep the table readable
    results = []
    with app.app_context():
        upgrade()
        user = User(email=EMAIL, name="Bench owner", is_superuser=False, active=True)
        user.set_password(PASSWORD)
        domain = Domain(name=DOMAIN, support_email=f"support@{DOMAIN}", status=DomainStatus.ENABLED)
        db.session.add_all([user, domain, DomainAccess(domain=domain, user=user, role=Role.OWNER)])
        db.session.commit()
        domain_id = domain.id
        per_page = app.config["PAGE_SIZE"]

        client = app.test_client()
        log_in(client)
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            have = 0
            for size in SIZES:
                db.session.execute(db.insert(Mailbox), mailbox_rows(domain_id, have, size))
                db.session.commit()
                have = size
                base = f"/domains/{DOMAIN}/mailboxes/"
                last = math.ceil(size / per_page)
                # (label, url, what the page must show: a wrong page is not measured)
                pages = (
                    ("first", base, f"{size} mailboxes"),
                    ("search", f"{base}?q={NEEDLE}", f"3 mailboxes matching “{NEEDLE}”"),
                    (f"last (p.{last})", f"{base}?page={last}", f"Page {last} of {last}"),
                )
                for label, url, expect in pages:
                    times, queries = measure(client, url, counter, expect)
                    results.append((size, label, times, queries))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)
            db.session.remove()
    return results, app


def drop_everything(app) -> None:
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def print_table(results) -> None:
    header = f"{'mailboxes':>9}  {'page':<13} {'median ms':>9} {'p95 ms':>8} {'queries':>7}"
    print(header)
    print("-" * len(header))
    for size, label, times, queries in results:
        shown = (
            str(queries.pop())
            if len(queries) == 1
            else "varies: " + ",".join(map(str, sorted(queries)))
        )
        print(
            f"{size:>9,}  {label:<13} {statistics.median(times):>9.1f} {p95(times):>8.1f}"
            f" {shown:>7}"
        )


def main() -> int:
    started = time.perf_counter()
    given = _given_database_url()
    if given:
        results, app = run(given)
        drop_everything(app)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-mailboxes-") as folder:
            results, app = run(f"sqlite:///{Path(folder) / 'bench.db'}")
            with app.app_context():
                db.engine.dispose()
    print_table(results)
    engine = given.split(":", 1)[0] if given else "sqlite (temporary file)"
    print(f"\n{REPEAT} requests per row, {engine}, {time.perf_counter() - started:.0f} s in all")
    return 0


def _given_database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    return normalise_database_url(url) if url else ""


if __name__ == "__main__":
    sys.exit(main())

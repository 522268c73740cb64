"""bench/pages.py --database: the pages at organisation scale on PostgreSQL, in one run.

The bench database is created, migrated (flask db upgrade), filled (pages_scale.seed), vacuumed
and analysed as autovacuum would after a bulk load, then the SQL queries of every page are
counted in process and the slowest of each page run again under EXPLAIN (ANALYZE, BUFFERS);
then gunicorn serves it and the pages are requested from SCALE_LOAD client threads. The
database is dropped at the end, whatever happened.
"""

import re
import sys
import time
from pathlib import Path

import psycopg
from pages_client import log_in, take_turns
from pages_config import in_process_config
from pages_data import count_queries
from pages_scale import OWNER, SMALL_OWNER, check_keys, scale_pages, seed
from pages_server import start_gunicorn, stop_gunicorn, wait_ready
from pg_database import (
    bench_database,
    explain,
    libpq,
    migrate,
    server_description,
    vacuum_analyze,
)

from devtools.dev import free_port
from webapp import create_app
from webapp.extensions import db

SCALE_LOAD = (2,)  # client threads: one per gunicorn worker
SCALE_REQUESTS = 300  # per page, in ROUNDS batches
EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


def prepare(url: str) -> dict:
    """Migrate, seed, vacuum; returns what each step took and the row counts."""
    app = create_app(in_process_config(url))
    timings = {"migrations": migrate(app)}
    started = time.perf_counter()
    timings["counts"] = seed(app, url)
    timings["seed"] = time.perf_counter() - started
    with app.app_context():
        db.engine.dispose()
    check_keys(url)
    timings["vacuum"] = vacuum_analyze(url)
    print(f"migrated in {timings['migrations']:.1f} s, seeded in {timings['seed']:.1f} s "
          f"({timings['counts']}), vacuumed in {timings['vacuum']:.1f} s", flush=True)  # fmt: skip
    return timings


def explain_heaviest(url: str, statements: dict) -> dict[str, dict]:
    """Every statement of each page's last request run again under EXPLAIN (ANALYZE, BUFFERS):
    {label: {database_ms: the sum of their execution times, slowest: (ms, statement, plan)}}.
    The server's own execution time, unlike the request's, hardly moves with the load of the
    machine."""
    plans = {}
    with psycopg.connect(libpq(url)) as conn:
        for label, seen in statements.items():
            timed = []
            for _seconds, statement, parameters in seen:
                plan = explain(conn, statement, parameters)
                conn.rollback()  # a page's write (none is expected) is not kept
                found = EXECUTION.search(plan)
                timed.append((float(found.group(1)) if found else 0.0, statement, plan))
            plans[label] = {"database_ms": sum(t[0] for t in timed),
                            "slowest": max(timed, key=lambda t: t[0])}  # fmt: skip
    return plans


def serve_and_measure(url: str, folder: Path) -> dict:
    log_path = folder / "gunicorn.log"
    process = None
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = start_gunicorn(url, port, log_path)
        wait_ready(base, process)
        cookies = {who: log_in(base, who).cookies for who in (OWNER, SMALL_OWNER)}
        return take_turns(base, cookies, scale_pages(), SCALE_LOAD, SCALE_REQUESTS)
    except BaseException:
        if log_path.exists():
            print("gunicorn's log (end):", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if process is not None:
            stop_gunicorn(process)


def measure_scale(url: str, folder: Path) -> dict:
    """Everything measured on a database of its own: {timings, queries, plans, results}."""
    with bench_database(url):
        timings = prepare(url)
        heaviest: dict = {}
        queries = count_queries(url, scale_pages(), heaviest)
        plans = explain_heaviest(url, heaviest)
        results = serve_and_measure(url, folder)
        server = server_description(url)
    return {"timings": timings, "queries": queries, "plans": plans, "results": results,
            "server": server}  # fmt: skip

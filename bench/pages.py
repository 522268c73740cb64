"""The main pages served by gunicorn, as in production, on a big account.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --database postgresql://postgres@127.0.0.1:5432/bench_scale

The second form measures at organisation scale on PostgreSQL instead (see bench/pages_pg.py
and bench/pages_scale.py) and writes the "pages-postgresql" section.

A temporary SQLite database (schema from the real migrations) gets one user who owns 200
domains. One of them, `big.bench.example`, holds 10,000 mailboxes and 2,000 alias rows (1,000
local parts with 2 destinations each); `small.bench.example` holds 100 mailboxes; the others are
empty. Rows are inserted in bulk.

Then `gunicorn --workers 2 wsgi:app` serves that database with APP_ENV=production (cookies
without the Secure flag, since the bench talks plain http on 127.0.0.1; a fast password hash;
`--no-control-socket`, since gunicorn 27 otherwise creates ~/.gunicorn/gunicorn.ctl, shared by
every gunicorn of the account).
The script logs in like a browser (GET /login, the CSRF token, POST /login), sends WARM_UP
requests to each URL, then REQUESTS requests per URL from 2 and from 4 client threads at once
(LOADS: one request per gunicorn worker, then the server saturated), in ROUNDS rounds where the
URLs and loads take turns (each batch bounded by BATCH_SECONDS), so that a slow
spell of the machine is shared out. It reports requests per second (answers over the time the
batches took), the median (p50) and 99th percentile (p99, nearest rank) response times, and each
p50 divided by the p50 of /healthz, the cheapest page.

The SQL queries each page runs are counted in this process, on the same database file, by a
separate application driven by Flask's test client with a `before_cursor_execute` listener.

The web process's peak memory is the largest sum of the resident set sizes (RSS) of the
gunicorn master and its workers, sampled every SAMPLE_SECONDS while the pages are requested.
RSS counts pages shared by the forked workers once per process, so the sum overstates what the
three processes take together; the proportional set size (PSS) sum, which shares them out, is
given next to it.

The client threads run on the same 2-core machine as the server and take some of its CPU: the
throughputs are those of the pair, a lower bound for the server alone.

Prints a table, writes it with a description of the machine to the "pages" section of
bench/RESULTS.md, and exits 0; it exits 1 when a page answers anything but 200 or lacks what
it should show.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pages_client import log_in, take_turns  # noqa: E402
from pages_config import ALIAS_NAMES  # noqa: E402
from pages_data import count_queries, seed  # noqa: E402
from pages_report import print_and_write  # noqa: E402
from pages_server import MemorySampler, start_gunicorn, stop_gunicorn, wait_ready  # noqa: E402

from devtools.dev import free_port  # noqa: E402


def print_seeded(counts: dict[str, int], started: float) -> None:
    print(
        f"seeded: {counts['domains']} domains, {counts['mailboxes']} mailboxes, "
        f"{counts['aliases']} alias rows ({ALIAS_NAMES} aliases), "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )


def measure_all(folder: Path, started: float) -> tuple[dict, dict, MemorySampler]:
    """Seed, count the queries, then serve and request the pages: (results, queries, sampler).

    gunicorn is stopped whatever happens, its log printed if anything failed."""
    database_url = f"sqlite:///{folder / 'bench.db'}"
    log_path = folder / "gunicorn.log"
    process = None
    sampler = None
    try:
        print_seeded(seed(database_url), started)
        queries = count_queries(database_url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = start_gunicorn(database_url, port, log_path)
        wait_ready(base, process)
        sampler = MemorySampler(process.pid)
        sampler.start()
        results = take_turns(base, log_in(base).cookies)
        sampler.stop()
    except BaseException:
        if log_path.exists():
            print("gunicorn's log (end):", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        # The server first: nothing below may keep it running.
        if process is not None:
            stop_gunicorn(process)
        if sampler is not None:
            sampler.stop()
    return results, queries, sampler


def main() -> int:
    parser = argparse.ArgumentParser(description="The main pages under gunicorn.")
    parser.add_argument(
        "--database",
        help="a postgresql:// URL naming a database of the bench's own (created and dropped, "
        "its name starting with 'bench'): measure at organisation scale there instead",
    )
    options = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()
    if options.database:
        from pages_pg import measure_scale
        from pages_pg_report import print_and_write as write_scale

        with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
            measured = measure_scale(options.database, Path(folder))
        where = write_scale(measured, load_before)
        print(f"\nwritten to {where.relative_to(ROOT)}; {time.perf_counter() - started:.0f} s")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        results, queries, sampler = measure_all(Path(folder), started)
    where = print_and_write(results, queries, sampler, load_before)
    print(f"\nwritten to {where.relative_to(ROOT)}; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

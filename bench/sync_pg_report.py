"""bench/sync.py --database's report: the sync with 1, 2 and 4 workers beside the ceiling, the
reconciler's cost per run, the periodic checks', written to the "sync-postgresql" section of
bench/RESULTS.md."""

import statistics
from pathlib import Path

import sync_config
from report import machine, write_section
from sync_pg_periodic import CHECK_DOMAINS, RECONCILE_AFTER, RECONCILER_MAILBOXES, RUNS

from webapp.jobs.mailboxes import SYNC_BATCH
from webapp.jobs.periodic import BATCH

COMMAND = (
    ".venv/bin/python bench/sync.py --database postgresql://postgres@127.0.0.1:5432/bench_sync"
)
SHARE_GOAL, RECONCILER_GOAL_MS = 0.8, 100


def _fmt(value, pattern: str) -> str:
    return "not reached" if value is None else format(value, pattern)


def sync_table(runs: list[dict], ceiling: list[dict]) -> tuple[str, list[str]]:
    lines = [
        "| workers | mailboxes | time to all enabled (s) | mailboxes/s | ceiling: bare calls/s, "
        "as many threads | share of the ceiling | HTTP calls per mailbox | token fetches "
        "| duplicated | lost |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    verdicts = []
    for run, raw in zip(runs, ceiling, strict=True):
        share = run["rate"] / raw["rate"] if run["rate"] else 0
        lines.append(
            f"| {run['workers']} | {run['enabled']:,} | {_fmt(run['seconds'], '.1f')} "
            f"| {_fmt(run['rate'], '.0f')} | {raw['rate']:.0f} | {share:.0%} "
            f"| {run['per_mailbox']:.3f} | {run['tokens']} | {run['duplicates']} | {run['lost']} |"
        )
        if run["workers"] == 4:
            met = share >= SHARE_GOAL and not run["duplicates"] and not run["lost"]
            verdicts.append(
                f"4 workers: {share:.0%} of the ceiling at 4 threads (goal ≥ {SHARE_GOAL:.0%}), "
                f"{run['duplicates']} duplicated, {run['lost']} lost (goal 0 and 0): "
                f"{'met' if met else 'NOT met'}."
            )
    return "\n".join(lines), verdicts


def reconciler_table(states: list[dict]) -> tuple[str, list[str]]:
    lines = [
        f"| {RECONCILER_MAILBOXES:,} mailboxes, {CHECK_DOMAINS:,} domains | ms per run (median) "
        "| slowest run (ms) | SQL statements per run | work done per run (median) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    verdicts = []
    for state in states:
        runs = state["runs"]
        median = statistics.median(r["ms"] for r in runs)
        statements = sorted({r["statements"] for r in runs})
        done = {k: statistics.median(r["result"][k] for r in runs) for k in runs[0]["result"]}
        work = ", ".join(f"{k} {v:g}" for k, v in done.items() if v) or "nothing"
        lines.append(
            f"| {state['state']} | {median:.1f} | {max(r['ms'] for r in runs):.1f} "
            f"| {'/'.join(map(str, statements))} | {work} |"
        )
        if state["state"].startswith("nothing owed"):
            verdicts.append(
                f"Reconciler with {RECONCILER_MAILBOXES:,} rows and nothing owed: {median:.1f} ms "
                f"per run (goal < {RECONCILER_GOAL_MS} ms): "
                f"{'met' if median < RECONCILER_GOAL_MS else 'NOT met'}."
            )
    return "\n".join(lines), verdicts


def checks_table(ticks: list[dict]) -> str:
    lines = [
        f"| tick, {CHECK_DOMAINS:,} domains all due | domains asked | checks (ms) "
        "| checks' SQL statements | reconciler (ms) | reconciler's SQL statements |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, tick in enumerate(ticks, 1):
        c, r = tick["checks"], tick["reconciler"]
        lines.append(f"| {n} | {c['result']} | {c['ms']:.1f} | {c['statements']} "
                     f"| {r['ms']:.1f} | {r['statements']} |")  # fmt: skip
    return "\n".join(lines)


def print_and_write(measured: dict, load_before) -> Path:
    sync, sync_verdicts = sync_table(measured["runs"], measured["ceiling"])
    reconciler, reconciler_verdicts = reconciler_table(measured["reconciler"])
    checks = checks_table(measured["checks"])
    statements = {t["checks"]["statements"] + t["reconciler"]["statements"]
                  for t in measured["checks"]}  # fmt: skip
    bounded = (
        f"SQL statements per tick (checks + reconciler) at {CHECK_DOMAINS:,} domains: "
        f"{min(statements)} to {max(statements)}, whatever the number of domains due (the checks "
        f"take at most {BATCH} domains a tick and mark them in one UPDATE)."
    )
    setup = (
        f"Each sync run: {sync_config.MAILBOXES:,} pending mailboxes in one domain, the workers "
        "started and registered first, then the request that enables the domain; time from it "
        "to the poll that sees every row enabled; mailboxes queued in batch jobs of "
        f"{SYNC_BATCH}. After each run, the ceiling: the same number of mailbox creations with "
        "bare `requests` calls to the same simulator from as many threads as there were "
        f"workers. Reconciler: {RUNS} runs per state, RECONCILE_AFTER_SECONDS={RECONCILE_AFTER} "
        "(its default), in the bench's process (its Redis calls included), after VACUUM ANALYZE."
    )
    notes = [*sync_verdicts, *reconciler_verdicts, bounded]
    shared = "Redis, the simulator, the workers, PostgreSQL and this script share its CPUs."
    body = (
        "## Sync and periodic work at organisation scale on PostgreSQL\n\n"
        f"Produced by `{COMMAND}`.\n\n{sync}\n\n{reconciler}\n\n{checks}\n\n"
        + "\n\n".join(notes)
        + f"\n\n{setup}\n\n{machine(load_before, shared, measured['server'])}\n"
    )
    print(f"\n{sync}\n\n{reconciler}\n\n{checks}\n\n" + "\n".join(notes))
    return write_section("sync-postgresql", body)

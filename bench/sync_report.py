"""bench/sync.py's report: the tables and the notes, printed and written to the "sync" section
of bench/RESULTS.md."""

import collections
from pathlib import Path

from report import machine
from report import write_section as report_section
from sync_config import (
    BENCH_RETRY_INTERVALS,
    FAULT_TIMEOUT,
    FAULTS,
    MAILBOXES,
    POLL_SECONDS,
    PRODUCTION_INTERVALS,
    RECONCILE_EVERY,
    ROUNDS,
)

from webapp.jobs.mailboxes import SYNC_BATCH


def rates(result: dict) -> str:
    """Each round's rate, in the order they ran ("once" for a single run)."""
    found = result.get("rounds")
    return ", ".join(fmt(r, ".0f") for r in found) if found else "once"


def fmt(value, pattern: str) -> str:
    return "not reached" if value is None else format(value, pattern)


def tables(runs: list[dict], ceiling: list[dict], start_up: float, floor: dict) -> str:
    best = max(c["rate"] for c in ceiling)
    lines = [
        "| run | workers | dimail faults | enabled | time to all enabled (s) | mailboxes/s "
        "| each round | share of the best ceiling | HTTP calls | calls per mailbox | token fetches "
        "| duplicates | lost | rows reconciled | enabling request (s) "
        "| simulator CPU per mailbox (ms) | workers' CPU per mailbox (ms) |",
        "| --- | ---: | --- " + "| ---: " * 14 + "|",
    ]
    for r in runs:
        share = f"{r['rate'] / best:.0%}" if r["rate"] else "n/a"
        lines.append(
            f"| {r['label']} | {r['workers']} | {'20% of calls' if r['faults'] else 'none'} "
            f"| {r['enabled']} | {fmt(r['seconds'], '.2f')} | {fmt(r['rate'], '.0f')} "
            f"| {rates(r)} | {share} | {r['calls']} | {r['per_mailbox']:.3f} | {r['tokens']} "
            f"| {r['duplicates']} | {r['lost']} | {r['reconciled']} "
            f"| {r['enqueue_seconds']:.3f} | {r['server_ms']:.2f} | {r['client_ms']:.2f} |"
        )
    lines += [
        "",
        "| ceiling: bare requests calls to the same simulator | threads | calls | s | calls/s "
        "| each round | simulator CPU per call (ms) | client CPU per call (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in ceiling:
        how = "one session" if c["threads"] == 1 else "one session per thread"
        lines.append(
            f"| POST /domains/{{d}}/mailboxes/{{local}}, {how} | {c['threads']} | {c['calls']} "
            f"| {c['seconds']:.2f} | {c['rate']:.0f} | {rates(c)} | {c['server_ms']:.2f} "
            f"| {c['client_ms']:.2f} |"
        )
    lines += [
        "",
        f"A burst worker alone (start, empty queue, exit): {start_up:.2f} s. RQ alone: "
        f"{MAILBOXES} jobs that do nothing (`webapp.models.base.utcnow`), 1 burst worker: "
        f"{floor['seconds']:.1f} s with start-up, {floor['rate']:.0f} jobs/s "
        f"({floor['ms']:.1f} ms per job) without it: the cost that batches of "
        f"{SYNC_BATCH} mailboxes per job pay once per batch.",
    ]
    return "\n".join(lines)


def production_wait(tries: int) -> int:
    """Seconds of back-off before the last of `tries` creation tries, with production settings.

    The first try is in a batch; a mailbox that fails there goes to its own job, run after the
    first interval and retried after each interval in turn; once all are used, its row waits for
    the reconciler (every minute, for rows marked 60 s ago: up to 60 s more), which batches it
    again. A lower bound: a mailbox handed over untried after three faults in a row waits too.
    """
    p = PRODUCTION_INTERVALS
    steps = [0, p[0]] + [p[0] + sum(p[: k + 1]) for k in range(len(p))]
    rounds, last = divmod(tries - 1, len(steps))
    return rounds * (steps[-1] + 60) + steps[last]


def fault_notes(run: dict) -> str:
    tries = collections.Counter(run["create_tries"].values())
    dist = ", ".join(f"{t} {'try' if t == 1 else 'tries'}: {n}" for t, n in sorted(tries.items()))
    waits = collections.Counter()
    for t, n in tries.items():
        waits[production_wait(t)] += n
    waited = ", ".join(
        f"{sum(n for w, n in waits.items() if w >= limit)} waited {limit} s or more"
        for limit in sorted(w for w in waits if w)
    )
    routes = ", ".join(f"{route} {n}" for route, n in run["routes"].items())
    met = ", ".join(f"{what} {n}" for what, n in run["outcomes"].most_common())
    return (
        f"Fault run: creation tries per mailbox, from the workers' logs ({dist}); HTTP calls by "
        f"route: {routes}; what the workers' dimail client met: {met}. "
        f"The bench retried at once (JOB_RETRY_INTERVALS={BENCH_RETRY_INTERVALS}, "
        "RECONCILE_AFTER_SECONDS=0, set in this script's environment, read by the workers and "
        f"by the reconciler this script runs every {RECONCILE_EVERY:.0f} s). With the production "
        f"intervals {PRODUCTION_INTERVALS} s and the reconciler every minute for rows marked "
        f"60 s ago, the same tries would have meant, in back-off alone: {waited or 'no wait'} "
        f"(the last one about {max(waits, default=0)} s after its first try); the others none."
    )


def notes(runs: list[dict]) -> list[str]:
    """The fault run's notes, then how every run was set up."""
    return [
        fault_notes(runs[-1]),
        "secondary_email is NULL on every mailbox, so no confirmation email job is queued; the "
        "only other job is the domain-enabled email to the support address (1 per run, caught "
        "by the development mail catcher).",
        f"Each run: {MAILBOXES} pending mailboxes; the workers started and registered first (as "
        "in production, where they are always running); time counted from the start of the "
        "request that enables the domain to the poll (every "
        f"{POLL_SECONDS} s) that sees every row enabled. The fault-free runs and the ceiling "
        f"took turns {ROUNDS} times; each of their rows is the median round, the others are "
        f"listed beside it. Fault knobs: {FAULTS}, "
        f"DIMAIL_TIMEOUT={FAULT_TIMEOUT} s for the workers of the fault run (10 s otherwise).",
    ]


def print_and_write(runs, ceiling, start_up: float, floor: dict, load_before) -> Path:
    """Print the tables and the notes, write them to RESULTS.md; returns where."""
    report = tables(runs, ceiling, start_up, floor)
    texts = notes(runs)
    print()
    print(report)
    for note in texts:
        print()
        print(note)
    return report_section(
        "sync",
        "## Sending waiting mailboxes to dimail\n\n"
        "Produced by `.venv/bin/python bench/sync.py`.\n\n"
        + report
        + "\n\n"
        + "\n\n".join(texts)
        + "\n\n"
        + machine(load_before, "Redis, the simulator, the workers and this script share them."),
    )

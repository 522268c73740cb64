"""bench/pages.py's client: it logs in like a browser, then requests the pages from several
threads at once, the pages and loads taking turns, and sums up the response times."""

import concurrent.futures
import math
import statistics
import threading
import time

import requests
from pages_config import (
    BATCH_SECONDS,
    CSRF,
    EMAIL,
    LOADS,
    PASSWORD,
    REQUESTS,
    ROUNDS,
    WARM_UP,
    pages,
)


def log_in(base: str, email: str = EMAIL) -> requests.Session:
    session = requests.Session()
    form = session.get(base + "/login", timeout=10)
    match = CSRF.search(form.text)
    if form.status_code != 200 or match is None:
        raise SystemExit(f"GET /login answered {form.status_code} without a CSRF token")
    answer = session.post(
        base + "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 303:
        raise SystemExit(f"POST /login answered {answer.status_code}")
    return session


def measure(base: str, cookies, page: tuple, count: int, warm_up: int, threads: int) -> dict:
    """`warm_up` requests, then `count` from `threads` threads: latencies (ms) and wall time."""
    _, url, expect, language = page[:4]
    local = threading.local()
    deadline = time.monotonic() + BATCH_SECONDS
    lock = threading.Lock()
    sent = [0]
    problems: list[str] = []

    def client() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.cookies.update(cookies)
            local.session.headers["Accept-Language"] = language
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


def stats(batches: list[dict], requests_: int = REQUESTS) -> dict:
    times = sorted(t for batch in batches for t in batch["times"])
    return {
        "done": len(times),
        "rps": len(times) / sum(batch["wall"] for batch in batches),
        "p50": statistics.median(times),
        "p99": times[math.ceil(0.99 * len(times)) - 1],
        "cut_short": len(times) < requests_,
    }


def take_turns(base: str, cookies, page_list=None, loads=LOADS, requests_=REQUESTS) -> dict:
    """Every page at every load, ROUNDS times; {threads: [(label, stats)...]} in page order.

    The pages take turns so that a slow spell of the machine does not land on one page only.
    `cookies` is one logged-in session's, or {who: cookies} for pages that name who asks
    (their fifth item)."""
    page_list = page_list or pages()
    batches: dict[tuple[int, str], list[dict]] = {}
    for round_number in range(ROUNDS):
        for threads in loads:
            for page in page_list:
                jar = cookies[page[4]] if len(page) > 4 else cookies
                warm_up = WARM_UP if round_number == 0 else 0
                batch = measure(base, jar, page, requests_ // ROUNDS, warm_up, threads)
                batches.setdefault((threads, page[0]), []).append(batch)
        print(f"  round {round_number + 1} of {ROUNDS} done", flush=True)
    return {
        threads: [(page[0], stats(batches[threads, page[0]], requests_)) for page in page_list]
        for threads in loads
    }

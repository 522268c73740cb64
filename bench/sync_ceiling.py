"""bench/sync.py's ceiling: the same mailbox creations sent to the simulator with bare
`requests` calls, without the application around them."""

import concurrent.futures
import os
import time

import requests
import sync_config
from sync_config import DIMAIL_PASSWORD, DIMAIL_USER, DOMAIN, RAW_SECONDS
from sync_stack import Simulator, cpu_seconds


def raw_calls(simulator: Simulator, threads: int, prefix: str) -> dict:
    """MAILBOXES mailbox creations with bare requests calls: (calls, seconds, non-201s)."""
    base = simulator.base
    token = requests.get(f"{base}/token/", auth=(DIMAIL_USER, DIMAIL_PASSWORD), timeout=10)
    token.raise_for_status()
    bearer = f"Bearer {token.json()['access_token']}"
    locals_ = [f"{prefix}{i:04}" for i in range(sync_config.MAILBOXES)]
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

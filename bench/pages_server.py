"""gunicorn for bench/pages.py: started on the seeded database as in production, waited for,
stopped; and the sampler of its memory."""

import contextlib
import os
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
import requests
from pages_config import HASH, SAMPLE_SECONDS, START_SECONDS

from devtools.dev import free_port

ROOT = Path(__file__).resolve().parent.parent


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

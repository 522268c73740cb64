"""Fixtures of the fault tests: an enabled domain in the simulator, real worker processes and a
Redis server that tests may stop. The logged-in `owner` comes from tests/conftest.py."""

import pytest

from tests.faults.support import RedisServer, WorkerProcesses
from webapp.jobs.queue import redis_connection
from webapp.models import DomainStatus


@pytest.fixture
def acme(app, owner, make_domain, dimail):
    """acme.fr, enabled here and in the simulator; the reconciler takes any marked row."""
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    domain = make_domain("acme.fr", owner=owner, status=DomainStatus.ENABLED)
    dimail.add_domain("acme.fr")
    return domain


@pytest.fixture
def workers(tmp_path):
    started = WorkerProcesses(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def own_redis(app, tmp_path):
    """The application on a Redis server of its own, that the test may stop and start again
    (never the shared one: other tests and CI's Redis stay untouched)."""
    shared = app.config["REDIS_URL"]
    server = RedisServer(tmp_path)
    server.start()
    app.config["REDIS_URL"] = server.url
    try:
        yield server
    finally:
        redis_connection().close()
        app.config["REDIS_URL"] = shared  # the app fixture empties the shared one afterwards
        server.stop()

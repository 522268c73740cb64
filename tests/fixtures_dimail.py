"""Pytest plugin: the dimail simulator served over real HTTP on a free loopback port.

- `simulator`: a fresh current-generation simulator for one test;
- `make_simulator(generation="current", users=..., dns="by-name", **faults)`: more of them,
  e.g. an older server (`generation="2024"` or `"2024-08-check"`), one where nothing resolves
  (`dns="none"`), one started with faults. `users` takes what `create_simulator` takes; the
  first user's name and password are `user` and `password`.

Both yield `RunningSimulator` objects and stop their servers after the test. Requests that
hang on purpose (`timeout_rate`) give up as soon as the server stops, and `hang_seconds`
defaults to 2 here rather than the simulator's 30.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest
import requests
from werkzeug.serving import make_server

from devtools.simulator import DEFAULT_USERS, create_simulator, state_of

TEST_HANG_SECONDS = 2.0


class RunningSimulator:
    """One simulator serving in a daemon thread."""

    def __init__(
        self,
        generation: str = "current",
        users: Mapping[str, str | Mapping] | None = DEFAULT_USERS,
        dns: str = "by-name",
        **faults,
    ):
        faults.setdefault("hang_seconds", TEST_HANG_SECONDS)
        self.app = create_simulator(users=users, generation=generation, faults=faults, dns=dns)
        self.sim = state_of(self.app)
        self.generation = generation
        self.dns = dns
        name, spec = next(iter(users.items()), (None, None)) if users else (None, None)
        self.user = name
        self.password = spec["password"] if isinstance(spec, Mapping) else spec
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that shutdown() returns quickly
            name=f"dimail-simulator-{self.url}",
            daemon=True,
        )
        self._thread.start()

    def faults(self, **knobs) -> dict:
        """Set fault knobs in-process (as POST /_simulator/faults does); the knobs now."""
        return self.sim.faults.update(knobs)

    def state(self) -> dict:
        """The same dict as GET /_simulator/state."""
        return self.sim.snapshot()

    def creations(self, kind_prefix: str | None = None) -> dict[str, int]:
        """Successful creations per object ("domain:x.fr", "mailbox:jane@x.fr",
        "alias:contact@x.fr>a@b.org"...), optionally only those starting with `kind_prefix`."""
        with self.sim.lock:
            counts = dict(self.sim.creations)
        if kind_prefix is None:
            return counts
        return {key: n for key, n in counts.items() if key.startswith(kind_prefix)}

    def requests(self, template: str | None = None):
        """Request counts per "METHOD /path/{template}", or the count of one of them."""
        with self.sim.lock:
            counts = dict(self.sim.requests)
        return counts if template is None else counts.get(template, 0)

    def add_domain(self, name: str) -> None:
        """Create a domain in dimail as our domain job would, for tests that start later on."""
        answer = requests.post(
            f"{self.url}/domains/",
            json={"name": name, "features": ["webmail", "mailbox", "alias"], "context_name": name},
            auth=(self.user, self.password),
            timeout=5,
        )
        answer.raise_for_status()

    def token(self) -> str:
        """A bearer token for the first user, for tests that call the API themselves."""
        answer = requests.get(f"{self.url}/token/", auth=(self.user, self.password), timeout=5)
        return answer.json()["access_token"]

    def set_dns(self, name: str, ok: bool = True, wrong: tuple[str, ...] | None = None) -> None:
        """Say the owner of `name` has (or has not) published the expected DNS records;
        `wrong` names the only checks that then fail (["spf"])."""
        with self.sim.lock:
            self.sim.domains[name].dns_ok = ok
            self.sim.domains[name].dns_wrong = wrong

    def reset(self) -> None:
        self.sim.reset()

    def close(self) -> None:
        self.sim.stopping.set()  # wakes up requests hanging on purpose
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __repr__(self) -> str:
        return f"<RunningSimulator {self.generation} at {self.url}>"


@pytest.fixture
def make_simulator():
    started: list[RunningSimulator] = []

    def make(generation: str = "current", **options) -> RunningSimulator:
        running = RunningSimulator(generation, **options)
        started.append(running)
        return running

    yield make
    for running in started:
        running.close()


@pytest.fixture
def simulator(make_simulator) -> RunningSimulator:
    return make_simulator()


@pytest.fixture
def dimail(app, simulator):
    """The application talking to the simulator."""
    app.config.update(
        DIMAIL_URL=simulator.url,
        DIMAIL_USER=simulator.user,
        DIMAIL_PASSWORD=simulator.password,
        WEBMAIL_URL="https://webmail.example.net",
    )
    return simulator

"""The simulator's whole memory: users, grants, domains with their mailboxes and aliases, and
the counters tests read. Every access goes through `SimState.lock`."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import checks
from .faults import Faults

GENERATIONS = ("current", "2024")


@dataclass
class User:
    name: str
    password: str
    is_admin: bool
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def as_api(self) -> dict:
        return {"name": self.name, "is_admin": self.is_admin, "uuid": self.uuid}


@dataclass
class Mailbox:
    local_part: str
    given_name: str
    sur_name: str
    display_name: str
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    active: bool = True


@dataclass
class Domain:
    name: str
    features: list[str]
    context_name: str | None
    delivery: str = "virtual"
    mailbox_domain: str | None = None
    webmail_domain: str | None = None
    imap_domains: list[str] | None = None
    smtp_domains: list[str] | None = None
    dns_ok: bool = field(init=False, default=True)
    platform_ok: bool = field(init=False, default=True)
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    # (local part, destination) pairs in creation order; a dict keeps them unique and ordered.
    aliases: dict[tuple[str, str], None] = field(default_factory=dict)

    def __post_init__(self):
        # The name steers the checks: see checks.py.
        self.dns_ok = checks.dns_ok_at_creation(self.name)
        self.platform_ok = checks.platform_ok_at_creation(self.name)

    def as_api(self) -> dict:
        return {
            "name": self.name,
            "features": list(self.features),
            "mailbox_domain": self.mailbox_domain,
            "webmail_domain": self.webmail_domain,
            "imap_domains": self.imap_domains,
            "smtp_domains": self.smtp_domains,
            "context_name": self.context_name,
        }

    def email(self, local_part: str) -> str:
        return f"{local_part}@{self.name}"


class SimState:
    """Everything the simulator knows. Callers hold `lock` while they read or write."""

    def __init__(
        self,
        users: Mapping[str, str] | None,
        generation: str = "current",
        faults: Mapping | None = None,
    ):
        if generation not in GENERATIONS:
            raise ValueError(f"generation must be one of {GENERATIONS}, not {generation!r}")
        self.lock = threading.RLock()
        self.generation = generation
        self.secret = secrets.token_urlsafe(32)
        # Set when the server stops, so that requests hanging on purpose give up at once.
        self.stopping = threading.Event()
        self._initial_users = dict(users or {})
        self.faults = Faults(self.lock, faults)
        self.reset()

    def reset(self) -> None:
        """Back to how the simulator started: its first users, no data, zero counters, the
        fault knobs it was started with."""
        with self.lock:
            self.users = {
                name: User(name, password, is_admin=True)
                for name, password in self._initial_users.items()
            }
            self.allows: set[tuple[str, str]] = set()
            self.domains: dict[str, Domain] = {}
            self.creations: Counter[str] = Counter()
            self.requests: Counter[str] = Counter()
            self.faults.reset()

    def created(self, key: str) -> None:
        self.creations[key] += 1

    def snapshot(self) -> dict:
        """A JSON-ready copy of the state (the body of GET /_simulator/state)."""
        with self.lock:
            domains = {}
            for name, domain in sorted(self.domains.items()):
                domains[name] = {
                    **domain.as_api(),
                    "delivery": domain.delivery,
                    "dns_ok": domain.dns_ok,
                    "platform_ok": domain.platform_ok,
                    "state": checks.report(domain)["state"],
                    "mailboxes": {
                        box.local_part: {
                            "email": domain.email(box.local_part),
                            "givenName": box.given_name,
                            "surName": box.sur_name,
                            "displayName": box.display_name,
                            "active": box.active,
                            "uuid": box.uuid,
                        }
                        for box in domain.mailboxes.values()
                    },
                    "aliases": [
                        {"username": local, "destination": destination}
                        for local, destination in domain.aliases
                    ],
                }
            return {
                "generation": self.generation,
                "users": [user.as_api() for user in self.users.values()],
                "allows": [{"user": u, "domain": d} for u, d in sorted(self.allows)],
                "domains": domains,
                "creations": dict(sorted(self.creations.items())),
                "requests": dict(sorted(self.requests.items())),
                "faults": self.faults.snapshot(),
            }

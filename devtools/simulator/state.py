"""The simulator's whole memory: users, grants, domains with their mailboxes and aliases, and
the counters tests read. Every access goes through `SimState.lock`.

Local parts keep the case they were created with (`Mixed.Case@...`, as dimail answers) but are
looked up without regard to case: `key()` is how every dict of local parts is indexed.
"""

from __future__ import annotations

import pickle
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import checks, generations
from .faults import Faults
from .generations import GENERATIONS, Generation

__all__ = ["DNS_MODES", "GENERATIONS", "PERMS", "Domain", "Mailbox", "SimState", "User", "key"]

DNS_MODES = ("by-name", "none")
PERMS = ("new_domain", "create_users", "manage_users")


def key(local_part: str) -> str:
    return local_part.casefold()


@dataclass
class User:
    name: str
    password: str
    is_admin: bool
    perms: list[str] = field(default_factory=list)
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def as_api(self, with_perms: bool) -> dict:
        answer = {"name": self.name, "is_admin": self.is_admin, "uuid": self.uuid}
        if with_perms:
            answer["perms"] = list(self.perms)
        return answer


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
    # What the checks will find (see checks.py); set at creation from the DNS mode.
    dns_ok: bool = True
    # While dns_ok is False, the external checks that fail; None: all those of the DNS mode.
    dns_wrong: tuple[str, ...] | None = None
    platform_ok: bool = True
    # Errors per check as the last check found them; None until the first check ("new").
    results: dict[str, list[dict]] | None = None
    creator: str | None = None
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    # key(local part), destination in lower case -> (local part, destination) as given; a dict
    # keeps the pairs unique and in creation order.
    aliases: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # key(local part) -> the address of the mailbox whose display name refused it (webmail).
    ox_clashes: dict[str, str] = field(default_factory=dict)

    @property
    def has_ox(self) -> bool:
        return "webmail" in self.features and bool(self.context_name)

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


def _user(name: str, spec) -> User:
    """{name: password} is an admin; {name: {"password", "is_admin", "perms"}} anyone."""
    if isinstance(spec, str):
        return User(name, spec, is_admin=True)
    perms = list(spec.get("perms", ()))
    unknown = set(perms) - set(PERMS)
    if unknown:
        raise ValueError(f"unknown perms {sorted(unknown)} for user {name!r}; known: {PERMS}")
    return User(name, spec["password"], bool(spec.get("is_admin", False)), perms)


class SimState:
    """Everything the simulator knows. Callers hold `lock` while they read or write."""

    def __init__(
        self,
        users: Mapping[str, str | Mapping] | None,
        generation: str = "current",
        faults: Mapping | None = None,
        dns: str = "by-name",
    ):
        self.gen: Generation = generations.get(generation)
        if dns not in DNS_MODES:
            raise ValueError(f"dns must be one of {DNS_MODES}, not {dns!r}")
        self.lock = threading.RLock()
        self.generation = generation
        self.dns = dns
        self.secret = secrets.token_urlsafe(32)
        # Set when the server stops, so that requests hanging on purpose give up at once.
        self.stopping = threading.Event()
        self._initial_users = {name: _user(name, spec) for name, spec in (users or {}).items()}
        self.faults = Faults(self.lock, faults)
        self.reset()

    def reset(self) -> None:
        """Back to how the simulator started: its first users, no data, zero counters, the
        fault knobs it was started with."""
        with self.lock:
            self.users = {
                name: User(u.name, u.password, u.is_admin, list(u.perms))
                for name, u in self._initial_users.items()
            }
            self.allows: set[tuple[str, str]] = set()
            self.domains: dict[str, Domain] = {}
            self.creations: Counter[str] = Counter()
            self.requests: Counter[str] = Counter()
            self.faults.reset()

    def save(self, path: Path) -> None:
        """Write users, grants and domains to `path` (atomically: a crash leaves the old file),
        so that a restarted simulator still has them, as a real dimail would."""
        with self.lock:
            data = pickle.dumps(
                {"users": self.users, "allows": self.allows, "domains": self.domains}
            )
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)

    def load(self, path: Path) -> bool:
        """Take back what `save` wrote; False when there is no such file yet."""
        if not path.exists():
            return False
        # pickle: a file this same tool wrote on the developer's machine, never one received.
        data = pickle.loads(path.read_bytes())  # noqa: S301
        with self.lock:
            self.users, self.allows, self.domains = data["users"], data["allows"], data["domains"]
        return True

    def created(self, what: str) -> None:
        self.creations[what] += 1

    def display_name_holder(self, domain: Domain, display_name: str, but: str) -> str | None:
        """The address of another mailbox of `domain`'s OX context with this display name
        (`but` is the key of the mailbox being written), or None. Hold the lock."""
        if not domain.has_ox or not display_name.strip():
            return None
        for other in self.domains.values():
            if not other.has_ox or other.context_name != domain.context_name:
                continue
            for box_key, box in other.mailboxes.items():
                same_box = other is domain and box_key == but
                if not same_box and box.display_name.strip() == display_name.strip():
                    return other.email(box.local_part)
        return None

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
                    "state": checks.state(domain),
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
                        for local, destination in domain.aliases.values()
                    ],
                }
            return {
                "generation": self.generation,
                "dns": self.dns,
                "users": [user.as_api(with_perms=True) for user in self.users.values()],
                "allows": [{"user": u, "domain": d} for u, d in sorted(self.allows)],
                "domains": domains,
                "creations": dict(sorted(self.creations.items())),
                "requests": dict(sorted(self.requests.items())),
                "faults": self.faults.snapshot(),
            }

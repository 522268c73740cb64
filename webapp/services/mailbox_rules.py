"""The rules of a new mailbox, one function for the form and for imports, so that a row of a
spreadsheet is refused for the same reasons and in the same words as the form.

What the domain already holds is asked of a `Holders`: the database, one question per
mailbox (the form), or a snapshot of the domain read once (an import of 10,000 rows).
"""

from dataclasses import dataclass, field
from typing import Protocol

from webapp.extensions import db
from webapp.messages import Said, say
from webapp.models import Domain, Mailbox
from webapp.models.mailbox import name_key
from webapp.services.mailbox_names import cleaned_names, name_taken, taken_message
from webapp.validators import (
    InvalidValue,
    normalise_email_address,
    normalise_local_part,
    suggest_local_part,
)


class Holders(Protocol):
    def has_address(self, local_part: str) -> bool: ...

    def name_holder(self, first: str, last: str) -> Said | None: ...


def find(domain: Domain, local_part: str) -> Mailbox | None:
    return db.session.scalar(
        db.select(Mailbox).where(
            Mailbox.domain_id == domain.id, Mailbox.local_part == (local_part or "").lower()
        )
    )


@dataclass
class InDatabase:
    domain: Domain

    def has_address(self, local_part: str) -> bool:
        return find(self.domain, local_part) is not None

    def name_holder(self, first: str, last: str) -> Said | None:
        return name_taken(self.domain, first, last)


@dataclass
class Snapshot:
    """The domain's addresses and display names, read in two columns' worth of one query."""

    domain: Domain
    addresses: set[str] = field(default_factory=set)
    names: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, domain: Domain) -> "Snapshot":
        snapshot = cls(domain)
        rows = db.session.execute(
            db.select(Mailbox.local_part, Mailbox.name_key, Mailbox.first_name, Mailbox.last_name)
            .where(Mailbox.domain_id == domain.id)
            .execution_options(yield_per=2000)
        )
        for local_part, key, first, last in rows:
            snapshot.addresses.add(local_part)
            snapshot.names.setdefault(key, (local_part, first, last))
        return snapshot

    def has_address(self, local_part: str) -> bool:
        return local_part in self.addresses

    def name_holder(self, first: str, last: str) -> Said | None:
        held = self.names.get(name_key(first, last))
        return None if held is None else taken_message(self.domain, *held, first, last)


@dataclass
class NewMailbox:
    first: str
    last: str
    local_part: str
    secondary: str | None
    errors: dict[str, str | Said]
    # The address is already a mailbox of the domain (its error is in `errors` too).
    exists: bool = False


def secondary_email(data: dict, address: str, errors: dict) -> str | None:
    try:
        email = normalise_email_address(data.get("secondary_email", ""))
    except InvalidValue as exc:
        errors["secondary_email"] = str(exc)
        return None
    if email == address.lower():
        errors["secondary_email"] = say("mailbox.secondary_is_itself")
        return None
    return email


def check_new(domain: Domain, data: dict, holders: Holders) -> NewMailbox:
    """The values of a new mailbox from what was typed, and every reason to refuse it."""
    errors: dict[str, str | Said] = {}
    first, last = cleaned_names(data, errors)
    raw_local = (data.get("local_part") or "").strip() or suggest_local_part(first, last)
    try:
        local_part = normalise_local_part(raw_local)
    except InvalidValue as exc:
        errors["local_part"] = str(exc)
        local_part = raw_local.lower()
    secondary = secondary_email(data, f"{local_part}@{domain.name}", errors)
    exists = "local_part" not in errors and holders.has_address(local_part)
    if exists:
        errors["local_part"] = say("mailbox.exists", address=f"{local_part}@{domain.unicode_name}")
    if first and last and (taken := holders.name_holder(first, last)):
        errors["first_name"] = taken
    return NewMailbox(first, last, local_part, secondary, errors, exists)


def created_entry(domain: Domain, checked: NewMailbox) -> tuple[str, Said]:
    """The audit log's target and message for a mailbox created from these values."""
    address = f"{checked.local_part}@{domain.unicode_name}"
    names = {"address": address, "first": checked.first, "last": checked.last}
    if checked.secondary:
        return address, say("audit.mailbox_created_secondary", **names, secondary=checked.secondary)
    return address, say("audit.mailbox_created", **names)

"""The verdict on each row of a file: created, already there (skipped), or refused, with the
form's own rules and words (mailbox_rules, aliases.check_pair), plus the rules across the
file (an address, a display name, an alias destination given twice)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from webapp.extensions import db
from webapp.messages import say
from webapp.models import Alias, Domain
from webapp.models.bulk_import import RowOutcome
from webapp.models.mailbox import name_key
from webapp.services.aliases import check_pair
from webapp.services.mailbox_rules import NewMailbox, Snapshot, check_new


@dataclass
class Verdict:
    line: int
    cells: dict[str, str]
    outcome: str
    # Messages by column, rendered for the reader ("" when nothing is wrong).
    errors: dict[str, str] = field(default_factory=dict)
    # What is created: a NewMailbox, or (local_part, destination) for an alias.
    value: object = None


def _rendered(errors: dict) -> dict[str, str]:
    return {name: str(message) for name, message in errors.items()}


def mailboxes(domain: Domain, rows: Iterable[tuple[int, dict]]) -> list[Verdict]:
    snapshot = Snapshot.of(domain)
    addresses: dict[str, int] = {}  # given earlier in the file: on which line
    names: dict[str, tuple[int, NewMailbox]] = {}
    verdicts = []
    for line, cells in rows:
        checked = check_new(domain, cells, snapshot)
        if checked.exists:
            verdicts.append(Verdict(line, cells, RowOutcome.EXISTS, _rendered(checked.errors)))
            continue
        errors = checked.errors
        address = f"{checked.local_part}@{domain.unicode_name}"
        if "local_part" not in errors and checked.local_part in addresses:
            errors["local_part"] = say(
                "import.same_address", address=address, line=addresses[checked.local_part]
            )
        key = name_key(checked.first, checked.last)
        if checked.first and checked.last and "first_name" not in errors and key in names:
            errors["first_name"] = _same_name(domain, checked, *names[key])
        if errors:
            verdicts.append(Verdict(line, cells, RowOutcome.ERROR, _rendered(errors)))
            continue
        addresses[checked.local_part] = line
        names[key] = (line, checked)
        verdicts.append(Verdict(line, cells, RowOutcome.CREATE, value=checked))
    return verdicts


def _same_name(domain: Domain, checked: NewMailbox, line: int, earlier: NewMailbox):
    """The display-name rule across the file, in the words of the form's rule."""
    address = f"{earlier.local_part}@{domain.unicode_name}"
    name = f"{checked.first} {checked.last}"
    holder = f"{earlier.first} {earlier.last}"
    if holder == name:
        return say("import.same_name", name=name, line=line, address=address)
    return say("import.name_looks_same", name=name, holder=holder, line=line, address=address)


def aliases(domain: Domain, rows: Iterable[tuple[int, dict]]) -> list[Verdict]:
    existing = {
        (local_part, destination)
        for local_part, destination in db.session.execute(
            db.select(Alias.local_part, Alias.destination).where(Alias.domain_id == domain.id)
        )
    }
    pairs: dict[tuple[str, str], int] = {}
    verdicts = []
    for line, cells in rows:
        local_part, destination, errors = check_pair(
            domain, cells.get("local_part", ""), cells.get("destination", "")
        )
        pair = (local_part, destination)
        address = f"{local_part}@{domain.unicode_name}"
        if not errors and pair in existing:
            duplicate = say("alias.duplicate", address=address, destination=destination)
            verdicts.append(Verdict(line, cells, RowOutcome.EXISTS, _rendered({"": duplicate})))
            continue
        if not errors and pair in pairs:
            errors["destination"] = say(
                "import.same_pair", address=address, destination=destination, line=pairs[pair]
            )
        if errors:
            verdicts.append(Verdict(line, cells, RowOutcome.ERROR, _rendered(errors)))
            continue
        pairs[pair] = line
        verdicts.append(Verdict(line, cells, RowOutcome.CREATE, value=pair))
    return verdicts


JUDGES = {"mailboxes": mailboxes, "aliases": aliases}

"""Each expected DNS record beside what dimail's last check found about it.

dimail checks the owner's DNS one check per record (DIMAIL.md): `mx`, `cname_imap`,
`cname_smtp`, `cname_webmail`, `spf`, `dkim`; `domain_exist` comes first, and when it fails the
others are not run and answer "ok" with nothing said. A record is therefore shown as correct
only when its own check ran and passed; one dimail skipped, never ran yet ("no_test"), or could
not run is "not checked", never correct.
"""

import enum
from dataclasses import dataclass

from webapp.dimail.checks import EXISTENCE_CHECK, EXTERNAL_CHECKS, NOT_CHECKED, read_bool

# dimail's code for a check it has not run yet ("Did not check yet").
NOT_RUN_YET = "no_test"
CNAME_CHECKS = {"imap": "cname_imap", "smtp": "cname_smtp", "webmail": "cname_webmail"}


class State(enum.StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class Finding:
    state: State
    # For a wrong one: dimail's words (its `detail` texts, in French on the servers seen) and
    # its codes, for our own explanation when it gave no words.
    words: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    check: str | None
    finding: Finding
    record: dict | None = None


def check_of(record: dict) -> str | None:
    """The name of dimail's check that tests this record; None for one it does not test."""
    kind = str(record.get("type") or "").strip().lower()
    target = str(record.get("target") or "").strip().rstrip(".").lower()
    value = str(record.get("value") or "").strip().strip('"').lower()
    if kind == "mx" and target in ("", "@"):
        return "mx"
    if kind == "cname":
        return CNAME_CHECKS.get(target)
    if kind == "txt":
        if value.startswith("v=spf1") and target in ("", "@"):
            return "spf"
        if target.endswith("._domainkey") or value.startswith("v=dkim1"):
            return "dkim"
    return None


def _errors(check: dict) -> list[dict]:
    errors = check.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _never_ran(check: dict) -> bool:
    if check.get("checked") is False:
        return True
    return any(e.get("code") in (NOT_RUN_YET, NOT_CHECKED) for e in _errors(check))


def domain_missing(checks: list[dict] | None) -> bool:
    """dimail looked the domain up in the DNS and did not find it: it checked nothing else."""
    existence = _by_name(checks).get(EXISTENCE_CHECK)
    return (
        existence is not None and not read_bool(existence.get("ok")) and not _never_ran(existence)
    )


def _by_name(checks: list[dict] | None) -> dict[str, dict]:
    return {c["name"]: c for c in checks or () if isinstance(c, dict) and c.get("name")}


def finding(name: str | None, checks: list[dict] | None) -> Finding:
    """What the last check says of the check `name`."""
    check = _by_name(checks).get(name) if name else None
    if check is None or _never_ran(check):
        return Finding(State.NOT_CHECKED)
    if name != EXISTENCE_CHECK and domain_missing(checks):
        # Whatever it answered (ok, no errors): dimail did not run it.
        return Finding(State.NOT_CHECKED)
    if read_bool(check.get("ok")):
        return Finding(State.CORRECT)
    errors = _errors(check)
    words = tuple(str(e["detail"]) for e in errors if e.get("detail"))
    codes = tuple(str(e["code"]) for e in errors if e.get("code"))
    return Finding(State.WRONG, words, codes)


def record_rows(records: list[dict] | None, checks: list[dict] | None) -> list[Row]:
    """The expected records, in dimail's order, each with its check's finding."""
    rows = []
    for record in records or ():
        name = check_of(record)
        rows.append(Row(name, finding(name, checks), record))
    return rows


def check_rows(checks: list[dict] | None) -> list[Row]:
    """The owner's DNS checks alone, for a dimail that does not list the records (older
    builds): what each found, without the records themselves."""
    present = _by_name(checks)
    return [Row(name, finding(name, checks)) for name in EXTERNAL_CHECKS if name in present]

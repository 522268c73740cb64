"""Reading dimail's answers: error details, address probes, DNS spec records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from webapp.dimail.checks import read_bool
from webapp.dimail.errors import DimailBadAnswer
from webapp.dimail.routes import DETAIL_MAX_CHARS, GENERIC_NOT_FOUND, Route


def seconds_text(value: float) -> str:
    return f"{value:g} s"


def _format_validation(items: list) -> str:
    """FastAPI's 422 list as "field: msg; field: msg" without the body/query prefix."""
    parts = []
    for item in items:
        if not isinstance(item, Mapping):
            parts.append(str(item))
            continue
        loc = [str(p) for p in item.get("loc") or ()]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]
        msg = str(item.get("msg") or item.get("type") or "invalid")
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return "; ".join(parts)


def body_start(response: requests.Response) -> str:
    text = " ".join((response.text or "").split())
    if len(text) > DETAIL_MAX_CHARS:
        text = text[: DETAIL_MAX_CHARS - 3] + "..."
    return text


def json_detail(response: requests.Response) -> tuple[bool, str | None]:
    """(whether the body is JSON with a `detail`, that detail as readable text)."""
    try:
        data = response.json()
    except ValueError:
        return False, None
    if not isinstance(data, Mapping) or "detail" not in data:
        return False, None
    detail = data["detail"]
    if isinstance(detail, list):
        return True, _format_validation(detail)
    return True, str(detail)


def describe(response: requests.Response) -> str:
    has_detail, detail = json_detail(response)
    if has_detail:
        return detail or ""
    return body_start(response) or f"HTTP {response.status_code} {response.reason or ''}".strip()


def is_generic_404(response: requests.Response) -> bool:
    # Route missing (older server, or a proxy page) rather than a named object missing.
    has_detail, detail = json_detail(response)
    return not has_detail or detail == GENERIC_NOT_FOUND


@dataclass(frozen=True)
class AddressProbe:
    """What dimail knows of one address (`GET /domains/{d}/address/{local_part}/`)."""

    domain_name: str
    user_name: str
    is_alias: bool
    is_mailbox: bool
    is_ox: bool
    ox_primary_email: str | None
    ox_senders: tuple[str, ...] = ()

    @classmethod
    def from_answer(cls, data: Mapping, domain: str, local_part: str) -> AddressProbe:
        primary = data.get("ox_primary_email")
        senders = data.get("ox_senders")
        return cls(
            domain_name=str(data.get("domain_name") or domain),
            user_name=str(data.get("user_name") or local_part),
            is_alias=read_bool(data.get("is_alias")),
            is_mailbox=read_bool(data.get("is_mailbox")),
            is_ox=read_bool(data.get("is_ox")),
            ox_primary_email=str(primary) if primary else None,
            ox_senders=tuple(str(s) for s in senders) if isinstance(senders, list) else (),
        )

    @property
    def address(self) -> str:
        return f"{self.user_name}@{self.domain_name}"

    def verdict(self, address: str | None = None) -> str:
        """ "exists" (a mailbox at this address), "display_name_taken" (the webmail account
        found is another address's: see `taken_by`) or "free" (an alias alone is no obstacle:
        a mailbox may share its local part)."""
        address = (address or self.address).casefold()
        if self.is_mailbox:
            return "exists"
        if self.is_ox:
            if (self.ox_primary_email or "").casefold() in ("", address):
                return "exists"
            return "display_name_taken"
        return "free"

    @property
    def taken_by(self) -> str | None:
        """The other mailbox whose webmail account holds the display name, if any."""
        if self.verdict() == "display_name_taken":
            return self.ox_primary_email
        return None

    # Read access by key, for callers written when the probe answered a plain dict.
    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def spec_record(record: Mapping) -> dict:
    """A spec record with its type in upper case (current servers send "mx", "txt"...)."""
    return {
        **record,
        "target": str(record.get("target") or ""),
        "type": str(record.get("type") or "").upper(),
        "value": str(record.get("value") or ""),
    }


def require(answer: dict, key: str, method: str, route: Route, domain, local_part) -> dict:
    if not answer.get(key):
        raise DimailBadAnswer(
            f"dimail's answer has no {key}",
            200,
            method,
            route.path(domain=domain, local_part=local_part),
        )
    return answer

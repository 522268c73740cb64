"""Reading dimail's lists of a domain's mailboxes and aliases, as each generation sends them.

The import and the drift report both read these lists; reading them in one place keeps them
agreeing on what counts as a personal mailbox (one with a webmail account, not `oxadmin`).
"""

from collections.abc import Iterator
from typing import NamedTuple

from webapp.dimail.client import DimailNotSupported

TECHNICAL = {"oxadmin"}  # the webmail's own account, on every domain that has one


class MailboxEntry(NamedTuple):
    local_part: str  # lower case
    given_name: str | None
    sur_name: str | None
    active: bool | None  # None: this dimail (v1 list only) does not say


def _raw_mailboxes(
    client, domain_name: str
) -> Iterator[tuple[str, str | None, str | None, bool | None]]:
    try:
        items = client.list_mailboxes_v2(domain_name)
    except DimailNotSupported:
        for item in client.list_mailboxes(domain_name):
            if item.get("type", "mailbox") == "mailbox":
                yield item.get("email", ""), item.get("givenName"), item.get("surName"), None
        return
    for item in items:
        ox = (item.get("extras") or {}).get("ox")
        if "ox" not in (item.get("features") or []) or not ox:
            continue  # a functional mailbox: no person behind it
        active = str(item.get("active", "yes")).lower() not in ("no", "false")
        yield item.get("email", ""), ox.get("given_name"), ox.get("sur_name"), active


def personal_mailboxes(client, domain_name: str) -> Iterator[MailboxEntry]:
    """Each personal mailbox dimail has on the domain: one list call (v2, else v1)."""
    for email, given, sur, active in _raw_mailboxes(client, domain_name):
        local, _, host = email.lower().partition("@")
        if host != domain_name or not local or local in TECHNICAL:
            continue
        yield MailboxEntry(local, given, sur, active)


def alias_pairs(client, domain_name: str) -> Iterator[tuple[str, str]]:
    """(local part, destination), lower case, for each alias destination dimail has."""
    for item in client.list_aliases(domain_name):
        pair = (str(item.get("username", "")).lower(), str(item.get("destination", "")).lower())
        if all(pair):
            yield pair

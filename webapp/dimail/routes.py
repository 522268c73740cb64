"""The dimail routes this application calls, spelt as DIMAIL.md writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

TOKEN_MARGIN_SECONDS = 60
# How long to keep a token that carries no readable `exp`.
TOKEN_DEFAULT_LIFETIME_SECONDS = 300
# What FastAPI answers for a route it does not have; any other 404 detail names a missing object.
GENERIC_NOT_FOUND = "Not Found"
# What dimail says when the Bearer token itself is refused (not a missing grant).
BAD_TOKEN = "Invalid authentication credentials"  # noqa: S105 - a message, not a secret
# Statuses that are the proxy's way of saying "later", not a verdict on the request.
TRANSIENT_4XX = frozenset({408, 429})
# Only these keep the method and body by definition; 301/302/303 may turn a POST into a GET.
FOLLOWED_REDIRECTS = frozenset({307, 308})
DETAIL_MAX_CHARS = 200
# A domain that cannot exist (RFC 2606), to ask whether a route exists without touching one.
PROBE_DOMAIN = "can-set-active.invalid"

DEFAULT_FEATURES = ("webmail", "mailbox", "alias")
MAILBOX_FIELDS = frozenset({"givenName", "surName", "displayName", "active"})
CONTEXT_CONFLICT = re.compile(r"mapped to OX context\s+[\"'“]?([^\"'”\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    """One dimail route: its path template, exactly as DIMAIL.md spells it, and its nature."""

    template: str
    auth: str  # "basic" or "bearer"
    what: str  # what the route does, in plain words for messages
    current_only: bool = False  # older servers answer 404/405
    admin: bool = False  # Basic route that needs an admin account (or a permission)

    def path(self, **segments: str) -> str:
        return self.template.format(**{k: _segment(v) for k, v in segments.items()})


# The one place where paths are spelled: FastAPI answers any other spelling with a redirect.
ROUTES = {
    "token": Route("/token/", "basic", "get a token"),
    "users": Route("/users/", "basic", "create users", admin=True),
    "allows": Route("/allows/", "basic", "grant domains", admin=True),
    "domains": Route("/domains/", "basic", "create or list domains", admin=True),
    "domain": Route("/domains/{domain}", "bearer", "read the domain"),
    "domain_check": Route("/domains/{domain}/check", "basic", "the domain check", True),
    "domain_fix": Route("/domains/{domain}/fix/", "basic", "the domain repair", True),
    "domain_spec": Route(
        "/domains/{domain}/spec/", "basic", "the list of expected DNS records", True
    ),
    "mailboxes": Route("/domains/{domain}/mailboxes/", "bearer", "list mailboxes"),
    "mailboxes_v2": Route(
        "/v2/domains/{domain}/mailboxes/", "bearer", "the mailbox list with states", True
    ),
    "mailbox": Route("/domains/{domain}/mailboxes/{local_part}", "bearer", "manage mailboxes"),
    "reset_password": Route(
        "/domains/{domain}/mailboxes/{local_part}/reset_password/",
        "bearer",
        "the password reset",
        True,
    ),
    "login_code": Route(
        "/domains/{domain}/mailboxes/{local_part}/code", "bearer", "the webmail login code", True
    ),
    "address": Route(
        "/domains/{domain}/address/{local_part}/", "bearer", "the address lookup", True
    ),
    "aliases": Route("/domains/{domain}/aliases/", "bearer", "manage aliases"),
    "alias": Route("/domains/{domain}/aliases/{local_part}/{destination}", "bearer", "aliases"),
    "all_aliases": Route("/domains/{domain}/aliases/{local_part}/all", "bearer", "aliases"),
}


def _segment(value: str) -> str:
    """One URL path segment, quoted so that `+`, `/` or `@` cannot change the route."""
    value = str(value)
    if not value:
        # An empty segment would silently turn an item route into its collection route.
        raise ValueError("empty path segment in a dimail URL")
    return quote(value, safe="")

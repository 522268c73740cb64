"""The method table: one case per client method (or option of one), with the request it must
send and the answer it reads. test_client_routes.py runs every case through success, HTTP
errors, transport errors and older servers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.dimail.client_support import (
    ADDRESS,
    ALIAS,
    ALLOWS,
    BASE,
    CHECK,
    CODE,
    DOMAIN,
    GENERATED,
    MAILBOX,
    MAILBOX_V2,
    MBOX,
    NEW_MAILBOX,
    SPEC,
    USER,
    active_probe_route,
    token_route,
)
from webapp.dimail.client import AddressProbe, DimailClient

RAISE = object()  # a 404 raises as the mapping says (no method-specific meaning)


@dataclass
class Case:
    id: str
    call: Callable[[DimailClient], Any]
    method: str
    path: str  # as sent, quoted, query string included
    auth: str  # "basic" or "bearer"
    current: bool = False  # route only current servers have
    sent: Any = None  # JSON body expected on the wire
    status: int = 200
    reply: Any = None
    expected: Any = None
    on_404: Any = RAISE  # what a "missing object" 404 returns instead of raising
    admin: bool = False  # Basic route of an admin: a refusal is about the account's rights
    grant: bool = False  # the client then grants itself the domain (POST /allows/)
    probe: bool = False  # the client first asks whether the server can set `active`
    extra: dict = field(default_factory=dict)


CASES = [
    Case(
        "create_domain",
        lambda c: c.create_domain("example.fr"),
        "POST",
        "/domains/",
        "basic",
        sent={
            "name": "example.fr",
            "features": ["webmail", "mailbox", "alias"],
            "context_name": "example.fr",
            "delivery": "virtual",
        },
        status=201,
        reply=DOMAIN,
        expected=DOMAIN,
        admin=True,
        grant=True,
    ),
    Case(
        "create_domain_options",
        lambda c: c.create_domain("example.fr", context_name="shared", features=["mailbox"]),
        "POST",
        "/domains/",
        "basic",
        sent={
            "name": "example.fr",
            "features": ["mailbox"],
            "context_name": "shared",
            "delivery": "virtual",
        },
        status=201,
        reply=DOMAIN,
        expected=DOMAIN,
        admin=True,
        grant=True,
    ),
    Case(
        "get_domain",
        lambda c: c.get_domain("example.fr"),
        "GET",
        "/domains/example.fr",
        "bearer",
        reply=DOMAIN,
        expected=DOMAIN,
    ),
    Case(
        "list_domains",
        lambda c: c.list_domains(),
        "GET",
        "/domains/",
        "basic",
        reply=[DOMAIN],
        expected=[DOMAIN],
        admin=True,
    ),
    Case(
        "check_domain",
        lambda c: c.check_domain("example.fr"),
        "GET",
        "/domains/example.fr/check",
        "basic",
        current=True,
        reply=CHECK,
        expected=CHECK,
    ),
    Case(
        "fix_domain",
        lambda c: c.fix_domain("example.fr"),
        "GET",
        "/domains/example.fr/fix/",
        "basic",
        current=True,
        reply=CHECK,
        expected=CHECK,
    ),
    Case(
        "domain_spec",
        lambda c: c.domain_spec("example.fr"),
        "GET",
        "/domains/example.fr/spec/",
        "basic",
        current=True,
        reply=SPEC,
        expected=SPEC,
    ),
    Case(
        "create_mailbox",
        lambda c: c.create_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe"),
        "POST",
        MBOX,
        "bearer",
        sent={"givenName": "Jane", "surName": "Doe", "displayName": "Jane Doe"},
        status=201,
        reply=NEW_MAILBOX,
        expected=NEW_MAILBOX,
    ),
    Case(
        "create_mailbox_quoted",
        lambda c: c.create_mailbox("example.fr", "jane+news", "", "", ""),
        "POST",
        "/domains/example.fr/mailboxes/jane%2Bnews",
        "bearer",
        sent={"givenName": "", "surName": "", "displayName": ""},
        status=201,
        reply=NEW_MAILBOX,
        expected=NEW_MAILBOX,
    ),
    Case(
        "list_mailboxes",
        lambda c: c.list_mailboxes("example.fr"),
        "GET",
        "/domains/example.fr/mailboxes/",
        "bearer",
        reply=[MAILBOX],
        expected=[MAILBOX],
    ),
    Case(
        "list_mailboxes_v2",
        lambda c: c.list_mailboxes_v2("example.fr"),
        "GET",
        "/v2/domains/example.fr/mailboxes/",
        "bearer",
        current=True,
        reply=[MAILBOX_V2],
        expected=[MAILBOX_V2],
    ),
    Case(
        "get_mailbox",
        lambda c: c.get_mailbox("example.fr", "jane.doe"),
        "GET",
        MBOX,
        "bearer",
        reply=MAILBOX,
        expected=MAILBOX,
    ),
    Case(
        "update_mailbox",
        lambda c: c.update_mailbox("example.fr", "jane.doe", displayName="J. Doe"),
        "PATCH",
        MBOX,
        "bearer",
        sent={"displayName": "J. Doe"},
        reply=MAILBOX,
        expected=MAILBOX,
    ),
    Case(
        "disable_mailbox",
        lambda c: c.disable_mailbox("example.fr", "jane.doe"),
        "PATCH",
        MBOX,
        "bearer",
        sent={"active": "no"},
        reply=MAILBOX,
        expected=MAILBOX,
        probe=True,
    ),
    Case(
        "enable_mailbox",
        lambda c: c.enable_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe"),
        "PATCH",
        MBOX,
        "bearer",
        sent={"active": "yes", "givenName": "Jane", "surName": "Doe", "displayName": "Jane Doe"},
        reply=MAILBOX,
        expected=MAILBOX,
        probe=True,
    ),
    Case(
        "reset_password",
        lambda c: c.reset_password("example.fr", "jane.doe"),
        "POST",
        MBOX + "/reset_password/",
        "bearer",
        current=True,
        reply={"email": "jane.doe@example.fr", "password": GENERATED},
        expected={"email": "jane.doe@example.fr", "password": GENERATED},
    ),
    Case(
        "login_code",
        lambda c: c.login_code("example.fr", "jane.doe"),
        "POST",
        MBOX + "/code",
        "bearer",
        current=True,
        sent={"expires_in": 3600, "maxuse": 3},
        reply=CODE,
        expected=CODE,
    ),
    Case(
        "login_code_options",
        lambda c: c.login_code("example.fr", "jane.doe", expires_in=600, maxuse=1),
        "POST",
        MBOX + "/code",
        "bearer",
        current=True,
        sent={"expires_in": 600, "maxuse": 1},
        reply=CODE,
        expected=CODE,
    ),
    Case(
        "probe_address",
        lambda c: c.probe_address("example.fr", "jane.doe"),
        "GET",
        "/domains/example.fr/address/jane.doe/",
        "bearer",
        current=True,
        reply=ADDRESS,
        expected=AddressProbe(
            "example.fr", "jane.doe", False, True, True, "jane.doe@example.fr", ()
        ),
        on_404=None,
    ),
    Case(
        "create_alias",
        lambda c: c.create_alias("example.fr", "contact", "jane@elsewhere.org"),
        "POST",
        "/domains/example.fr/aliases/",
        "bearer",
        sent={"user_name": "contact", "destination": "jane@elsewhere.org"},
        status=201,
        reply=ALIAS,
        expected=ALIAS,
    ),
    Case(
        "create_alias_older_200",
        lambda c: c.create_alias("example.fr", "contact", "jane@elsewhere.org"),
        "POST",
        "/domains/example.fr/aliases/",
        "bearer",
        sent={"user_name": "contact", "destination": "jane@elsewhere.org"},
        status=200,
        reply=ALIAS,
        expected=ALIAS,
    ),
    Case(
        "list_aliases",
        lambda c: c.list_aliases("example.fr"),
        "GET",
        "/domains/example.fr/aliases/",
        "bearer",
        reply=[ALIAS],
        expected=[ALIAS],
    ),
    Case(
        "list_aliases_user",
        lambda c: c.list_aliases("example.fr", user_name="contact"),
        "GET",
        "/domains/example.fr/aliases/?user_name=contact",
        "bearer",
        reply=[ALIAS],
        expected=[ALIAS],
    ),
    Case(
        "list_aliases_pair",
        lambda c: c.list_aliases("example.fr", "contact", "jane+x@elsewhere.org"),
        "GET",
        "/domains/example.fr/aliases/?user_name=contact&destination=jane%2Bx%40elsewhere.org",
        "bearer",
        reply=[ALIAS],
        expected=[ALIAS],
        on_404=[],
    ),
    Case(
        "delete_alias",
        lambda c: c.delete_alias("example.fr", "contact", "jane+x@elsewhere.org"),
        "DELETE",
        "/domains/example.fr/aliases/contact/jane%2Bx%40elsewhere.org",
        "bearer",
        status=204,
        expected=True,
        on_404=False,
    ),
    Case(
        "delete_all_aliases",
        lambda c: c.delete_all_aliases("example.fr", "contact"),
        "DELETE",
        "/domains/example.fr/aliases/contact/all",
        "bearer",
        status=204,
        expected=None,
        on_404=None,  # tested on its own: the 404 path asks the list route
    ),
]
CASE_IDS = [c.id for c in CASES]


def register(rsps, case: Case, status: int, **kwargs):
    url = BASE + case.path.split("?")[0]
    # Basic routes need the token too: a refusal is told apart by asking for one.
    token_route(rsps)
    if case.grant:
        rsps.post(ALLOWS, status=201, json={"user": USER, "domain": "example.fr"})
    if case.probe:
        active_probe_route(rsps)
    rsps.add(case.method, url, status=status, **kwargs)

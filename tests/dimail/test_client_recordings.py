"""The client against what real dimail servers answered (tests/data/dimail-recordings/).

`responses` serves the recorded answers; the table says, for every recorded exchange, what the
client makes of it. Where no client method sends the recorded request (the wrong-slash
variants, Basic credentials on a Bearer route, a request body the client never builds), the
row serves that answer to the call the client does make (`at`) and says what the client then
does. A test fails when an exchange of the recordings has no row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import pytest
import responses

from tests.dimail import recordings
from webapp.dimail import checks as dimail_checks
from webapp.dimail.client import (
    DimailAuthError,
    DimailClient,
    DimailConflict,
    DimailNoGrant,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)

BASE = "http://dimail.recorded"
OLD = "dimail-api-2024-08.json"
CHECK = "dimail-api-2024-08-check.json"
FILES = list(recordings.GENERATIONS)
EXCHANGES = {name: recordings.exchanges(name) for name in FILES}
CREDENTIALS = {"admin": ("admin", "admin"), "client": ("client", "client"), "wrong": ("admin", "x")}
TOKEN_EXCHANGE = {"admin": 6, "client": 7, "wrong": 4}
D = "rec.example.com"
MBOX = f"/domains/{D}/mailboxes"
ACTIVE_PROBE = "GET /v2/domains/can-set-active.invalid/mailboxes/"
NOT_AVAILABLE = "is not available on this mail platform"


@dataclass(frozen=True)
class Ok:
    """The call returns `value`, or the recorded body of exchange `of` (the row's own by
    default); `check` asserts more on the value."""

    value: Any = ...
    of: int | None = None
    check: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Raises:
    """The call raises exactly `cls`, whose detail holds each of `words`."""

    cls: type
    words: tuple[str, ...] = ()


def raises(cls: type, *words: str) -> Raises:
    return Raises(cls, words)


@dataclass
class Row:
    index: int
    note: str
    call: Callable[[DimailClient], Any]
    expect: Ok | Raises | dict[str, Ok | Raises]  # per recording file when they differ
    who: str = "admin"  # whose credentials the client holds
    at: str | None = None  # "METHOD /path" the client calls, when not the recorded request
    then: tuple[int, ...] = ()  # exchanges served next at the same place (after a redirect)
    side: dict[str, int] = field(default_factory=dict)  # other places and their exchange
    sent: bool = True  # False: the client must not send this request at all


def _domain_checks_not_run(report: dict) -> None:
    # The check build: the domain is missing from the DNS, so nothing else was checked.
    checks = {c["name"]: c for c in dimail_checks.read_checks(report)}
    assert list(checks) == list(dimail_checks.EXTERNAL_CHECKS)
    assert all(not c["internal"] for c in checks.values())
    assert checks["domain_exist"]["errors"][0]["code"] == "must_exist"
    assert all(not c["ok"] and not c["checked"] for n, c in checks.items() if n != "domain_exist")
    assert dimail_checks.outcome(report, list(checks.values())) is dimail_checks.Outcome.EXTERNAL


def _never_checked(report: dict) -> None:
    checks = dimail_checks.read_checks(report)
    codes = {e["code"] for c in checks for e in c["errors"]}
    assert codes <= {"no_test", dimail_checks.NOT_CHECKED}
    assert not any(c["ok"] for c in checks)


def _keeps_case(created: dict) -> None:
    assert created["email"] == f"Mixed.Case@{D}"


MAILBOX_NAMES = ("Jane", "Doe", "Jane Doe")

ROWS = [
    Row(0, "bootstrap", lambda c: c.create_user("admin", "admin", is_admin=True), Ok()),
    Row(1, "non-admin account", lambda c: c.create_user("client", "client"), Ok()),
    Row(2, "duplicate user", lambda c: c.create_user("client", "client"),
        raises(DimailConflict, "User already exists")),
    # The token route refusing our credentials: platform-wide, whatever the call.
    Row(3, "token, no credentials", lambda c: c.get_domain(D),
        raises(DimailAuthError, "Not authenticated")),
    Row(4, "token, wrong password", lambda c: c.get_domain(D),
        raises(DimailAuthError, "Permission denied"), who="wrong"),
    # The client asks /token/; served the recorded 307 there, it follows it once.
    Row(5, "token 307", lambda c: c.list_mailboxes(D), Ok(of=38), at="GET /token/",
        then=(6,), side={f"GET {MBOX}/": 38}),
    Row(6, "token", lambda c: c.list_mailboxes(D), Ok(of=38), side={f"GET {MBOX}/": 38}),
    Row(7, "token of the non-admin", lambda c: c.list_mailboxes(D), Ok(of=73), who="client",
        side={f"GET {MBOX}/": 73}),
    Row(8, "create a domain", lambda c: c.create_domain(D),
        {OLD: Ok(), CHECK: Ok(check=_never_checked)}, side={"POST /allows/": 71}),
    # Already there: granted to ourselves all the same, then the conflict for the job.
    Row(9, "create again", lambda c: c.create_domain(D),
        raises(DimailConflict, "Domain already exists"), side={"POST /allows/": 72}),
    # The client always sends a context; meeting this 409 anyway, it is no "already there".
    Row(10, "webmail without a context", lambda c: c.create_domain("noctx.example.com"),
        raises(DimailRejected, "OX context name is mandatory")),
    Row(11, "context_name missing", lambda c: c.create_domain("nokey.example.com", None, ["mailbox"]),  # noqa: E501
        raises(DimailRejected, "context_name: Field required")),
    Row(12, "unknown feature", lambda c: c.create_domain("badfeat.example.com", None, ["calendar"]),  # noqa: E501
        raises(DimailRejected, "features.0: Input should be 'webmail', 'mailbox' or 'alias'")),
    Row(13, "create as non-admin", lambda c: c.create_domain("byclient.example.com"),
        raises(DimailNoGrant, "may not create or list domains", "Permission denied"),
        who="client"),
    Row(14, "POST /domains 307", lambda c: c.create_domain("other.example.com"), Ok(of=15),
        at="POST /domains/", then=(15,), side={"POST /allows/": 71}),
    Row(15, "second domain", lambda c: c.create_domain("other.example.com", None, ["mailbox", "alias"]),  # noqa: E501
        {OLD: Ok(), CHECK: Ok(check=_never_checked)}, side={"POST /allows/": 71}),
    Row(16, "list domains", lambda c: c.list_domains(), Ok()),
    Row(17, "one domain", lambda c: c.get_domain(D), Ok()),
    # Basic on a Bearer route is what the client never sends; met with a fresh token anyway,
    # the token itself is refused: a platform-wide problem, not this domain's.
    Row(18, "one domain with Basic", lambda c: c.get_domain(D),
        raises(DimailAuthError, "Invalid authentication credentials")),
    Row(19, "unknown domain", lambda c: c.get_domain("unknown.example.com"),
        raises(DimailNotFound, "Domain not found")),
    Row(20, "no grant on the domain", lambda c: c.get_domain(D),
        raises(DimailNoGrant, f"no rights on the domain {D}", "Not authorized."), who="client"),
    Row(21, "check", lambda c: c.check_domain(D),
        {OLD: raises(DimailNotSupported, NOT_AVAILABLE),
         CHECK: Ok(check=_domain_checks_not_run)}),
    Row(22, "check/", lambda c: c.check_domain(D),
        {OLD: raises(DimailNotSupported, NOT_AVAILABLE),
         CHECK: Ok(of=21, check=_domain_checks_not_run)},
        at=f"GET /domains/{D}/check", then=(21,)),
    Row(23, "fix", lambda c: c.fix_domain(D), raises(DimailNotSupported, NOT_AVAILABLE),
        at=f"GET /domains/{D}/fix/"),
    Row(24, "fix/", lambda c: c.fix_domain(D), raises(DimailNotSupported, NOT_AVAILABLE)),
    Row(25, "spec", lambda c: c.domain_spec(D), raises(DimailNotSupported, NOT_AVAILABLE),
        at=f"GET /domains/{D}/spec/"),
    Row(26, "spec/", lambda c: c.domain_spec(D), raises(DimailNotSupported, NOT_AVAILABLE)),
    Row(27, "check of an unknown domain", lambda c: c.check_domain("unknown.example.com"),
        {OLD: raises(DimailNotSupported, NOT_AVAILABLE),
         CHECK: raises(DimailNotFound, "Domain not found")}),
    Row(28, "check without a grant", lambda c: c.check_domain(D),
        {OLD: raises(DimailNotSupported, NOT_AVAILABLE),
         CHECK: raises(DimailNoGrant, f"no rights on the domain {D}", "Permission denied")},
        who="client"),
    # No domain deletion in the client; a 405 on a route every server has is a refusal.
    Row(29, "delete a domain", lambda c: c.delete_mailbox("other.example.com", "x"),
        raises(DimailRejected, "Method Not Allowed"),
        at="DELETE /domains/other.example.com/mailboxes/x"),
    Row(30, "create a mailbox", lambda c: c.create_mailbox(D, "jane.doe", *MAILBOX_NAMES), Ok()),
    # A duplicate: the plain-text 500 is transient to the client; the job probes the address.
    Row(31, "same mailbox again", lambda c: c.create_mailbox(D, "jane.doe", *MAILBOX_NAMES),
        raises(DimailUnavailable, "Internal Server Error")),
    Row(32, "same display name", lambda c: c.create_mailbox(D, "jane.doe2", *MAILBOX_NAMES),
        Ok()),
    Row(33, "mailbox with Basic", lambda c: c.create_mailbox(D, "basic.user", *MAILBOX_NAMES),
        raises(DimailAuthError, "Invalid authentication credentials")),
    Row(34, "mailbox on unknown domain",
        lambda c: c.create_mailbox("unknown.example.com", "x", *MAILBOX_NAMES),
        raises(DimailUnavailable, "Internal Server Error")),
    Row(35, "mailbox with slash", lambda c: c.create_mailbox(D, "john.roe", "John", "Roe", "John Roe"),  # noqa: E501
        Ok(of=30), at=f"POST {MBOX}/john.roe", then=(30,)),
    Row(36, "upper-case local part",
        lambda c: c.create_mailbox(D, "Mixed.Case", "Mixed", "Case", "Mixed Case"),
        Ok(check=_keeps_case)),
    Row(37, "mailbox without a grant", lambda c: c.create_mailbox(D, "nogrant", *MAILBOX_NAMES),
        raises(DimailNoGrant, f"no rights on the domain {D}", "Permisison denied"), who="client"),
    Row(38, "list mailboxes", lambda c: c.list_mailboxes(D), Ok()),
    Row(39, "list without slash", lambda c: c.list_mailboxes(D), Ok(of=38), at=f"GET {MBOX}/",
        then=(38,)),
    Row(40, "v2", lambda c: c.list_mailboxes_v2(D), raises(DimailNotSupported, NOT_AVAILABLE)),
    Row(41, "one mailbox", lambda c: c.get_mailbox(D, "jane.doe"), Ok()),
    Row(42, "one mailbox with slash", lambda c: c.get_mailbox(D, "jane.doe"), Ok(of=41),
        at=f"GET {MBOX}/jane.doe", then=(41,)),
    Row(43, "unknown mailbox", lambda c: c.get_mailbox(D, "nobody"),
        raises(DimailNotFound, "Mailbox not found")),
    Row(44, "rename", lambda c: c.update_mailbox(D, "jane.doe", givenName="Janet", surName="Doe", displayName="Janet Doe"),  # noqa: E501
        Ok()),
    # Both builds answer 200 and change nothing: the client asks first, and refuses.
    Row(45, "disable", lambda c: c.disable_mailbox(D, "jane.doe"),
        raises(DimailNotSupported, "this mail platform cannot disable mailboxes"),
        side={ACTIVE_PROBE: 40}, sent=False),
    Row(46, "after disable", lambda c: c.get_mailbox(D, "jane.doe"), Ok()),
    # The client refuses `user_name` itself (see the last test); met anyway, a refusal.
    Row(47, "change the local part", lambda c: c.update_mailbox(D, "jane.doe", displayName="J"),
        raises(DimailRejected, "Not yet implemented"), at=f"PATCH {MBOX}/jane.doe"),
    Row(48, "patch unknown", lambda c: c.update_mailbox(D, "nobody", givenName="X"),
        raises(DimailNotFound, "Mailbox not found")),
    Row(49, "code", lambda c: c.login_code(D, "jane.doe"),
        raises(DimailNotSupported, NOT_AVAILABLE)),
    Row(50, "code/", lambda c: c.login_code(D, "jane.doe"),
        raises(DimailNotSupported, NOT_AVAILABLE), at=f"POST {MBOX}/jane.doe/code"),
    Row(51, "reset_password", lambda c: c.reset_password(D, "jane.doe"),
        raises(DimailNotSupported, NOT_AVAILABLE), at=f"POST {MBOX}/jane.doe/reset_password/"),
    Row(52, "reset_password/", lambda c: c.reset_password(D, "jane.doe"),
        raises(DimailNotSupported, NOT_AVAILABLE)),
    Row(53, "address/", lambda c: c.probe_address(D, "jane.doe"),
        raises(DimailNotSupported, NOT_AVAILABLE)),
    Row(54, "address", lambda c: c.probe_address(D, "jane.doe"),
        raises(DimailNotSupported, NOT_AVAILABLE), at=f"GET /domains/{D}/address/jane.doe/"),
    Row(55, "alias", lambda c: c.create_alias(D, "contact", f"jane.doe@{D}"), Ok()),
    Row(56, "second destination", lambda c: c.create_alias(D, "contact", "x@elsewhere.org"),
        Ok()),
    Row(57, "same alias", lambda c: c.create_alias(D, "contact", f"jane.doe@{D}"),
        raises(DimailConflict, "Alias already exists")),
    Row(58, "alias = mailbox", lambda c: c.create_alias(D, "jane.doe", "x@elsewhere.org"), Ok()),
    Row(59, "devnull", lambda c: c.create_alias(D, "trash", "devnull@devnull"), Ok()),
    Row(60, "aliases without slash", lambda c: c.create_alias(D, "slash", "x@elsewhere.org"),
        Ok(of=56), at=f"POST /domains/{D}/aliases/", then=(56,)),
    Row(61, "list aliases", lambda c: c.list_aliases(D), Ok()),
    Row(62, "of one local part", lambda c: c.list_aliases(D, "contact"), Ok()),
    Row(63, "one pair", lambda c: c.list_aliases(D, "contact", "x@elsewhere.org"), Ok()),
    Row(64, "missing pair", lambda c: c.list_aliases(D, "contact", "nobody@elsewhere.org"),
        Ok([])),
    Row(65, "destination alone", lambda c: c.list_aliases(D, destination="x@elsewhere.org"),
        raises(DimailRejected, "forbiden to only provide the destination")),
    Row(66, "delete one", lambda c: c.delete_alias(D, "contact", "x@elsewhere.org"), Ok(True)),
    Row(67, "delete again", lambda c: c.delete_alias(D, "contact", "x@elsewhere.org"),
        Ok(False)),
    Row(68, "delete all", lambda c: c.delete_all_aliases(D, "contact"), Ok(None)),
    # Then the client looks for what is left (not recorded: 64's "Alias not found" stands in).
    Row(69, "delete all again", lambda c: c.delete_all_aliases(D, "contact"), Ok(None),
        side={f"GET /domains/{D}/aliases/": 64}),
    Row(70, "aliases without a grant", lambda c: c.list_aliases(D),
        raises(DimailNoGrant, f"no rights on the domain {D}", "Permission denied"), who="client"),
    Row(71, "grant", lambda c: c.allow_domain(D, "client"), Ok(True)),
    Row(72, "grant again", lambda c: c.allow_domain(D, "client"), Ok(False)),
    Row(73, "list as the granted account", lambda c: c.list_mailboxes(D), Ok(), who="client"),
    Row(74, "delete a mailbox", lambda c: c.delete_mailbox(D, "john.roe"), Ok(False)),
    Row(75, "delete it again", lambda c: c.delete_mailbox(D, "john.roe"), Ok(False)),
]  # fmt: skip


def _serve(rsps, place: str, exchange: dict) -> None:
    method, path = place.split(" ", 1)
    answer = exchange["response"]
    headers = {k: v.replace("<base>", BASE) for k, v in answer["headers"].items()}
    content_type = headers.pop("content-type", "text/plain")
    body = answer["body"]
    text = body if isinstance(body, str) else json.dumps(body)
    # Quoted as the client quotes segments (`@` in an alias destination).
    url = BASE + quote(unquote(path.split("?")[0]), safe="/")
    rsps.add(method, url, status=answer["status"], body=text, headers=headers,
             content_type=content_type)  # fmt: skip


def _place(exchange: dict) -> str:
    return f"{exchange['request']['method']} {exchange['request']['path']}"


def _pick(value, name: str):
    return value[name] if isinstance(value, dict) else value


def test_every_recorded_exchange_has_a_row():
    for name, exchanges in EXCHANGES.items():
        assert [row.index for row in ROWS] == list(range(len(exchanges))), name
    indexes = [row.index for row in ROWS]
    assert len(indexes) == len(set(indexes))


PARAMS = [
    pytest.param(name, row, id=f"{name[11:-5]}-{row.index}") for name in FILES for row in ROWS
]  # noqa: E501


@pytest.mark.parametrize("name, row", PARAMS)
def test_what_the_client_makes_of_each_recorded_answer(name, row, caplog):
    caplog.set_level(logging.INFO, logger="webapp.dimail")
    exchanges = EXCHANGES[name]
    own = exchanges[row.index]
    place = row.at or _place(own)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        if not place.startswith("GET /token/"):
            _serve(rsps, "GET /token/", exchanges[TOKEN_EXCHANGE[row.who]])
        _serve(rsps, place, own)
        for later in row.then:
            _serve(rsps, place, exchanges[later])
        for side_place, index in row.side.items():
            _serve(rsps, side_place, exchanges[index])
        client = DimailClient(BASE, *CREDENTIALS[row.who])
        expect = _pick(row.expect, name)
        if isinstance(expect, Raises):
            with pytest.raises(expect.cls) as info:
                row.call(client)
            assert type(info.value) is expect.cls
            for words in expect.words:
                assert words in info.value.detail
        else:
            value = row.call(client)
            if expect.value is ...:
                of = row.index if expect.of is None else expect.of
                assert value == exchanges[of]["response"]["body"]
            else:
                assert value == expect.value
            if expect.check:
                expect.check(value)
        _assert_requests(rsps, row, own, place, caplog)


def _assert_requests(rsps, row: Row, own: dict, place: str, caplog) -> None:
    method, path = place.split(" ", 1)
    at_place = [
        c
        for c in rsps.calls
        if c.request.method == method and unquote(c.request.url).startswith(BASE + path)
    ]
    if not row.sent:
        assert at_place == []
        return
    assert at_place, f"the client never called {place}"
    if row.at is None:
        # The client sends the very request that was recorded.
        assert unquote(at_place[0].request.url) == BASE + own["request"]["path"]
        sent = at_place[0].request.body
        if own["request"]["json"] is not None and sent is not None:
            assert set(json.loads(sent)) >= set(own["request"]["json"]) - {"context_name"}
    if own["response"]["status"] == 307:
        # Followed once, with the same method, body and credentials, and said in the log.
        first, second = at_place[:2]
        assert first.request.body == second.request.body
        assert first.request.headers["Authorization"] == second.request.headers["Authorization"]
        assert any("correct this path in ROUTES" in r.getMessage() for r in caplog.records)


def test_the_client_refuses_to_rename_before_asking():
    with responses.RequestsMock() as rsps:
        client = DimailClient(BASE, "admin", "admin")
        with pytest.raises(TypeError, match="user_name"):
            client.update_mailbox(D, "jane.doe", user_name="janet")
        assert not rsps.calls


@pytest.mark.parametrize("name", FILES)
def test_recorded_builds_cannot_set_active(name):
    with responses.RequestsMock() as rsps:
        _serve(rsps, "GET /token/", EXCHANGES[name][6])
        _serve(rsps, ACTIVE_PROBE, EXCHANGES[name][40])
        assert DimailClient(BASE, "admin", "admin").can_set_active() is False

"""The dimail client's mailbox routes: the address probe, the active flag, updates, codes and
passwords, deletion (against `responses`).
"""

import pytest

from tests.dimail.client_support import (
    ACTIVE_PROBE,
    ADDRESS,
    BASE,
    MAILBOX,
    MBOX,
    active_probe_route,
    calls_to,
    route_calls,
    sent_json,
    token_route,
)
from webapp.dimail.client import (
    AddressProbe,
    DimailBadAnswer,
    DimailNotSupported,
    DimailUnavailable,
)

# --------------------------------------------------------------------------- address probe


@pytest.mark.parametrize(
    "detail, expected",
    [("Not found", None), ("Domain not found", None), ("Not Found", DimailNotSupported)],
)
def test_probe_address_404_meanings(rsps, client, detail, expected):
    token_route(rsps)
    url = f"{BASE}/domains/example.fr/address/jane.doe/"
    rsps.get(url, status=404, json={"detail": detail})
    if expected is None:
        assert client.probe_address("example.fr", "jane.doe") is None
    else:
        with pytest.raises(expected):
            client.probe_address("example.fr", "jane.doe")


@pytest.mark.parametrize(
    "answer, verdict, taken_by",
    [
        ({"is_mailbox": True, "is_ox": True}, "exists", None),
        (
            {"is_mailbox": False, "is_ox": True, "ox_primary_email": "Jane.Doe@Example.fr"},
            "exists",
            None,
        ),  # noqa: E501
        (
            {"is_ox": True, "ox_primary_email": "jane.doe2@example.fr"},
            "display_name_taken",
            "jane.doe2@example.fr",
        ),  # noqa: E501
        ({"is_alias": True, "is_mailbox": False, "is_ox": False}, "free", None),
        ({"is_alias": False, "is_mailbox": False, "is_ox": False}, "free", None),
        ({"is_mailbox": "false", "is_ox": "False", "is_alias": "true"}, "free", None),
        ({"is_mailbox": "TRUE"}, "exists", None),
        ({}, "free", None),
    ],
    ids=[
        "mailbox",
        "ox-same-address",
        "ox-other-address",
        "alias",
        "nothing",
        "strings",
        "TRUE",
        "empty",
    ],  # noqa: E501
)
def test_probe_verdicts(rsps, client, answer, verdict, taken_by):
    token_route(rsps)
    body = {"domain_name": "example.fr", "user_name": "jane.doe", **answer}
    rsps.get(f"{BASE}/domains/example.fr/address/jane.doe/", json=body)
    probe = client.probe_address("example.fr", "jane.doe")
    assert isinstance(probe, AddressProbe)
    assert probe.verdict("jane.doe@example.fr") == probe.verdict() == verdict
    assert probe.taken_by == taken_by
    assert all(isinstance(v, bool) for v in (probe.is_alias, probe.is_mailbox, probe.is_ox))


def test_probe_reads_like_the_old_dict(rsps, client):
    token_route(rsps)
    rsps.get(f"{BASE}/domains/example.fr/address/jane.doe/", json=ADDRESS)
    probe = client.probe_address("example.fr", "jane.doe")
    assert probe["is_mailbox"] is True and probe.get("is_alias") is False
    assert probe.get("nothing", 1) == 1
    with pytest.raises(KeyError):
        probe["nothing"]
    with pytest.raises(AttributeError):
        probe.is_ox = False  # frozen


# --------------------------------------------------------------------------- active flag


PATCH_CALLS = [
    lambda c: c.disable_mailbox("example.fr", "jane.doe"),
    lambda c: c.enable_mailbox("example.fr", "jane.doe", "Jane", "Doe", "Jane Doe"),
    lambda c: c.update_mailbox("example.fr", "jane.doe", active=False),
]


@pytest.mark.parametrize(
    "call, verb", list(zip(PATCH_CALLS, ["disable", "enable", "disable"], strict=True))
)
def test_active_refused_on_servers_that_ignore_it(rsps, client, call, verb):
    token_route(rsps)
    active_probe_route(rsps, current=False)
    rsps.patch(f"{BASE}{MBOX}", json=MAILBOX)  # what they answer, changing nothing
    with pytest.raises(DimailNotSupported, match=f"this mail platform cannot {verb} mailboxes"):
        call(client)
    assert not route_calls(rsps)  # no PATCH sent
    assert client.can_set_active() is False
    assert len(calls_to(rsps, ACTIVE_PROBE)) == 1  # asked once per client


def test_other_patches_need_no_probe(rsps, client):
    token_route(rsps)
    rsps.patch(f"{BASE}{MBOX}", json=MAILBOX)
    client.update_mailbox("example.fr", "jane.doe", displayName="J. Doe")
    assert not calls_to(rsps, ACTIVE_PROBE)


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (404, {"detail": "Domain not found"}, True),
        (403, {"detail": "Permission denied"}, True),
        (401, {"detail": "Not authorized."}, True),
        (200, [], True),
        (404, {"detail": "Not Found"}, False),
        (405, {"detail": "Method Not Allowed"}, False),
    ],
)
def test_can_set_active(rsps, client, status, body, expected):
    token_route(rsps)
    rsps.get(ACTIVE_PROBE, status=status, json=body)
    assert client.can_set_active() is expected
    assert client.can_set_active() is expected
    assert len(calls_to(rsps, ACTIVE_PROBE)) == 1


def test_can_set_active_unknown_while_dimail_is_down(rsps, client):
    token_route(rsps)
    rsps.get(ACTIVE_PROBE, status=503, body="")
    rsps.get(ACTIVE_PROBE, status=404, json={"detail": "Domain not found"})
    with pytest.raises(DimailUnavailable):
        client.can_set_active()
    assert client.can_set_active() is True  # not cached while unknown


# --------------------------------------------------------------------------- arguments


def test_update_mailbox_refuses_unknown_fields(rsps, client):
    with pytest.raises(TypeError, match="given_name"):
        client.update_mailbox("example.fr", "jane.doe", given_name="Jane")
    assert client.calls == 0


def test_update_mailbox_accepts_bool_active(rsps, client):
    token_route(rsps)
    active_probe_route(rsps)
    rsps.patch(f"{BASE}{MBOX}", json=MAILBOX)
    client.update_mailbox("example.fr", "jane.doe", active=False)
    assert sent_json(route_calls(rsps)[0]) == {"active": "no"}


# --------------------------------------------------------------------------- answers read


@pytest.mark.parametrize(
    "call, url, body, key",
    [
        (
            lambda c: c.login_code("example.fr", "jane.doe"),
            f"{BASE}{MBOX}/code",
            {"email": "jane.doe@example.fr"},
            "code",
        ),
        (
            lambda c: c.reset_password("example.fr", "jane.doe"),
            f"{BASE}{MBOX}/reset_password/",
            {"email": "jane.doe@example.fr"},
            "password",
        ),
    ],
    ids=["code", "reset_password"],
)
def test_answers_without_what_the_route_gives_are_bad_answers(rsps, client, call, url, body, key):
    token_route(rsps)
    rsps.post(url, json=body)
    with pytest.raises(DimailBadAnswer, match=f"no {key}"):
        call(client)


def test_delete_mailbox(rsps, client):
    token_route(rsps)
    rsps.delete(f"{BASE}{MBOX}", status=204)
    rsps.delete(f"{BASE}{MBOX}", status=404, json={"detail": "Mailbox not found"})
    assert client.delete_mailbox("example.fr", "jane.doe") is True
    assert client.delete_mailbox("example.fr", "jane.doe") is False

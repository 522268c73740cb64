"""The dimail client's domain routes: creation and its self-grant, other grants and users, checks
and the expected records (against `responses`).
"""

import pickle

import pytest

from tests.dimail.client_support import (
    ALLOWS,
    BASE,
    BASIC,
    DOMAIN,
    USER,
    calls_to,
    sent_json,
    token_calls,
)
from webapp.dimail.client import (
    DimailConflict,
    DimailNotFound,
    DimailNotSupported,
    DimailRejected,
    DimailUnavailable,
)

# --------------------------------------------------------------------------- domain creation


@pytest.mark.parametrize(
    "status, body",
    [
        (201, {"user": USER, "domain": "example.fr"}),
        (409, {"detail": "Domain already allowed for this user"}),
        (403, {"detail": "Permission denied"}),
        (401, {"detail": "Not authenticated"}),
        (404, {"detail": "User not found"}),
        (422, {"detail": "bad"}),
    ],
)
def test_self_grant_answers_that_leave_the_creation_done(rsps, client, status, body):
    rsps.post(f"{BASE}/domains/", status=201, json=DOMAIN)
    rsps.post(ALLOWS, status=status, json=body)
    assert client.create_domain("example.fr") == DOMAIN
    [grant] = calls_to(rsps, ALLOWS)
    assert sent_json(grant) == {"user": USER, "domain": "example.fr"}
    assert grant.request.headers["Authorization"] == BASIC
    assert token_calls(rsps) == 0  # a refused grant is not investigated: the next call tells


def test_self_grant_unavailable_is_retried_by_the_job(rsps, client):
    rsps.post(f"{BASE}/domains/", status=201, json=DOMAIN)
    rsps.post(ALLOWS, status=503, body="")
    with pytest.raises(DimailUnavailable):
        client.create_domain("example.fr")


def test_existing_domain_is_granted_then_conflict(rsps, client):
    rsps.post(f"{BASE}/domains/", status=409, json={"detail": "Domain already exists"})
    rsps.post(ALLOWS, status=409, json={"detail": "Domain already allowed for this user"})
    with pytest.raises(DimailConflict) as info:
        client.create_domain("example.fr")
    assert info.value.detail == "Domain already exists"
    assert info.value.context_name is None
    assert len(calls_to(rsps, ALLOWS)) == 1


@pytest.mark.parametrize(
    "detail, context",
    [
        ("The domain is currently mapped to OX context ctx-42", "ctx-42"),
        ("The domain is currently mapped to OX context 'shared.fr'.", "shared.fr"),
    ],
)
def test_domain_mapped_to_another_context_is_a_conflict_naming_it(rsps, client, detail, context):
    rsps.post(f"{BASE}/domains/", status=409, json={"detail": detail})
    with pytest.raises(DimailConflict) as info:
        client.create_domain("example.fr")
    assert info.value.detail == detail
    assert info.value.context_name == context
    assert not calls_to(rsps, ALLOWS)
    copy = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own bytes
    assert (copy.context_name, copy.detail) == (context, detail)


def test_other_creation_409_is_a_refusal_not_already_there(rsps, client):
    detail = "OX context name is mandatory for mailbox feature"
    rsps.post(f"{BASE}/domains/", status=409, json={"detail": detail})
    with pytest.raises(DimailRejected) as info:
        client.create_domain("example.fr", features=["webmail"])
    assert type(info.value) is DimailRejected
    assert (info.value.status, info.value.detail) == (409, detail)
    assert not calls_to(rsps, ALLOWS)


def test_allow_domain(rsps, client):
    rsps.post(ALLOWS, status=201, json={"user": "other", "domain": "example.fr"})
    rsps.post(ALLOWS, status=409, json={"detail": "Domain already allowed for this user"})
    assert client.allow_domain("example.fr", "other") is True
    assert client.allow_domain("example.fr") is False
    assert [sent_json(c)["user"] for c in rsps.calls] == ["other", USER]


def test_create_user(rsps, client):
    rsps.post(f"{BASE}/users/", status=201, json={"name": "x", "is_admin": False, "uuid": "u"})
    assert client.create_user("x", "pw")["name"] == "x"
    assert sent_json(rsps.calls[0]) == {"name": "x", "password": "pw", "is_admin": False}


# --------------------------------------------------------------------------- checks and spec


def test_not_supported_on_non_json_404(rsps, client):
    # A proxy in front of an older dimail may answer with its own page.
    rsps.get(f"{BASE}/domains/example.fr/spec/", status=404, body="<h1>404</h1>")
    with pytest.raises(DimailNotSupported):
        client.domain_spec("example.fr")


def test_check_on_missing_domain_is_not_found(rsps, client):
    rsps.get(f"{BASE}/domains/nope.fr/check", status=404, json={"detail": "Domain not found"})
    with pytest.raises(DimailNotFound):
        client.check_domain("nope.fr")


def test_spec_types_in_either_case_come_out_upper_case(rsps, client):
    records = [
        {"target": "", "type": "mx", "value": "mx.dimail.test."},
        {"target": "imap", "type": "Cname", "value": "imap.dimail.test."},
        {"target": None, "type": "TXT", "value": "v=spf1 -all"},
    ]
    rsps.get(f"{BASE}/domains/example.fr/spec/", json=records)
    assert client.domain_spec("example.fr") == [
        {"target": "", "type": "MX", "value": "mx.dimail.test."},
        {"target": "imap", "type": "CNAME", "value": "imap.dimail.test."},
        {"target": "", "type": "TXT", "value": "v=spf1 -all"},
    ]

"""Reading dimail's checks, and the zone-file snippet of the expected records."""

import pytest

from webapp.dimail import zonefile
from webapp.dimail.checks import (
    CODE_EXPLANATIONS,
    EXTERNAL_CHECKS,
    INTERNAL_CHECKS,
    NOT_CHECKED,
    Outcome,
    explain,
    outcome,
    read_bool,
    read_checks,
)

# Every error code DIMAIL.md lists.
DIMAIL_CODES = (
    "must_exist",
    "no_test",
    "no_mx",
    "one_mx",
    "wrong_mx",
    "no_cname_imap",
    "wrong_cname_imap",
    "no_cname_smtp",
    "wrong_cname_smtp",
    "no_cname_webmail",
    "wrong_cname_webmail",
    "no_spf",
    "wrong_spf",
    "no_dkim",
    "wrong_dkim",
    "no_cert",
)


def _check(ok, internal=False, code=None):
    errors = [{"code": code, "detail": "dimail's words"}] if code else []
    return {"ok": ok, "internal": internal, "errors": errors}


def test_state_ok_means_enabled_whatever_else():
    result = {"state": "ok", "mx": _check(True)}
    assert outcome(result, read_checks(result)) is Outcome.OK


def test_a_failing_external_check_is_the_owners_business_first():
    result = {"state": "broken", "mx": _check(False, code="wrong_mx"), "ox": _check(False, True)}
    checks = read_checks(result)
    assert outcome(result, checks) is Outcome.EXTERNAL
    assert [c["name"] for c in checks] == ["mx", "ox"]


def test_only_internal_failures_are_the_platforms():
    result = {"state": "broken", "mx": _check(True), "cert": _check(False, True, "no_cert")}
    assert outcome(result, read_checks(result)) is Outcome.INTERNAL


def test_unknown_codes_still_get_plain_words():
    assert "wrong" not in explain("no_such_code_ever")
    assert explain("wrong_mx").startswith("The MX record")


def test_zone_file_quotes_txt_splits_long_values_and_gives_mx_a_preference():
    text = zonefile.render(
        "xn--exmple-cua.fr",
        "exämple.fr",
        [
            {"target": "", "type": "MX", "value": "mx.example.net."},
            {"target": "imap", "type": "CNAME", "value": "imap.example.net."},
            {"target": "", "type": "TXT", "value": "v=spf1 include:_spf.example.net -all"},
            {"target": "dimail._domainkey", "type": "TXT", "value": "v=DKIM1; p=" + "A" * 400},
        ],
    )
    lines = text.splitlines()
    assert lines[2] == "$ORIGIN xn--exmple-cua.fr."
    assert lines[3].split() == ["@", "IN", "MX", "10", "mx.example.net."]
    assert lines[5].endswith('"v=spf1 include:_spf.example.net -all"')
    dkim = lines[6]
    strings = dkim.split("TXT", 1)[1].strip().split('" "')
    assert len(strings) == 2 and all(len(s.strip('"')) <= 255 for s in strings)


@pytest.mark.parametrize("code", DIMAIL_CODES)
def test_every_code_of_dimail_md_is_explained_in_plain_words(code):
    assert code in CODE_EXPLANATIONS
    text = explain(code, "dimail's words")
    assert "dimail's words" not in text and code not in text and text.endswith(".")


def test_unknown_code_gets_a_generic_explanation_with_dimails_words():
    assert explain("no_such_code", "Le truc est cassé") == (
        "The mail platform reported a problem with this check. It says: Le truc est cassé"
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("false", False),
        (" no ", False),
        ("yes", True),
        (1, True),
        (0, False),
        (None, False),
        ("maybe", False),
    ],
)
def test_booleans_read_as_they_say(value, expected):
    assert read_bool(value) is expected


def test_string_booleans_are_not_python_truthiness():
    result = {
        "state": "broken",
        "mx": {"ok": "false", "internal": "false", "errors": []},
        "cert": {"ok": "true", "internal": "true", "errors": []},
    }
    checks = {c["name"]: c for c in read_checks(result)}
    assert (checks["mx"]["ok"], checks["mx"]["internal"]) == (False, False)
    assert (checks["cert"]["ok"], checks["cert"]["internal"]) == (True, True)
    assert outcome(result, list(checks.values())) is Outcome.EXTERNAL


@pytest.mark.parametrize("name", [*EXTERNAL_CHECKS, *INTERNAL_CHECKS])
def test_missing_internal_is_read_by_the_checks_name(name):
    [check] = read_checks({name: {"ok": False, "errors": []}})
    assert check["internal"] is (name in INTERNAL_CHECKS)


def test_checks_beside_the_domains_own_fields():
    # The 2024-08-check build: checks in the domain's JSON, no internal flags.
    result = {
        "name": "example.fr",
        "state": "broken",
        "valid": False,
        "features": ["mailbox"],
        "mailbox_domain": None,
        "imap_domains": None,
        "extras": {"ok": True},  # a dict with `ok` alone: not a check under an unknown name
        "future_check": {"ok": False, "errors": [{"code": "x", "detail": "y"}]},
        "mx": {"ok": False, "errors": [{"code": "wrong_mx", "detail": "MX"}]},
    }
    checks = read_checks(result)
    assert [c["name"] for c in checks] == ["mx", "future_check"]
    assert checks[1]["internal"] is True  # unknown: not the owner's DNS
    assert outcome(result, checks) is Outcome.EXTERNAL


def test_checks_after_a_missing_domain_are_not_checked_never_passing():
    result = {
        "state": "broken",
        "domain_exist": {"ok": False, "errors": [{"code": "must_exist", "detail": "absent"}]},
        "mx": {"ok": True, "errors": []},
        "spf": {"ok": True, "errors": []},
        "dkim": {"ok": False, "errors": [{"code": "no_dkim", "detail": "none"}]},
    }
    checks = {c["name"]: c for c in read_checks(result)}
    for name in ("mx", "spf"):
        assert checks[name]["ok"] is False and checks[name]["checked"] is False
        assert [e["code"] for e in checks[name]["errors"]] == [NOT_CHECKED]
    assert checks["dkim"]["checked"] is True
    assert checks["domain_exist"]["errors"][0]["code"] == "must_exist"
    assert outcome(result, list(checks.values())) is Outcome.EXTERNAL


def test_passing_checks_stay_passing_when_the_domain_exists():
    result = {"state": "ok", "domain_exist": _check(True), "mx": _check(True)}
    assert all(c["ok"] and c["checked"] for c in read_checks(result))


def test_state_read_in_any_case():
    assert outcome({"state": "OK"}, []) is Outcome.OK
    assert outcome({"state": "new"}, []) is Outcome.INTERNAL

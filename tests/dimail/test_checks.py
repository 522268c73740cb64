"""Reading dimail's checks, and the zone-file snippet of the expected records."""

from webapp.dimail import zonefile
from webapp.dimail.checks import Outcome, explain, outcome, read_checks


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

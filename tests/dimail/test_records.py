"""Which check tests which record, and when a record may be called correct."""

import pytest

from webapp.dimail.records import State, check_of, finding, record_rows


@pytest.mark.parametrize(
    ("record", "check"),
    [
        ({"target": "", "type": "mx", "value": "mx.mail.example.net."}, "mx"),
        ({"target": "@", "type": "MX", "value": "mx.mail.example.net."}, "mx"),
        ({"target": "imap", "type": "cname", "value": "imap.mail.example.net."}, "cname_imap"),
        ({"target": "SMTP", "type": "CNAME", "value": "smtp.mail.example.net."}, "cname_smtp"),
        ({"target": "webmail", "type": "cname", "value": "w.example.net."}, "cname_webmail"),
        ({"target": "", "type": "txt", "value": '"v=spf1 include:_spf.x -all"'}, "spf"),
        ({"target": "dimail._domainkey", "type": "txt", "value": "v=DKIM1; p=AB"}, "dkim"),
        ({"target": "autoconfig", "type": "cname", "value": "x.example.net."}, None),
        ({"target": "", "type": "txt", "value": "google-site-verification=abc"}, None),
    ],
)
def test_each_record_is_matched_with_the_check_that_tests_it(record, check):
    assert check_of(record) == check


def test_rows_stored_before_the_not_checked_rule_are_never_correct():
    # An older row kept dimail's raw answer: domain_exist failing, the others "ok" unchecked.
    checks = [
        {"name": "domain_exist", "ok": False, "errors": [{"code": "must_exist", "detail": "x"}]},
        {"name": "mx", "ok": True, "errors": []},
    ]
    assert finding("mx", checks).state == State.NOT_CHECKED
    assert finding("domain_exist", checks).state == State.WRONG


def test_a_record_no_check_tests_is_not_checked_even_when_all_pass():
    checks = [{"name": "mx", "ok": True, "errors": []}]
    [row] = record_rows([{"target": "", "type": "txt", "value": "hello"}], checks)
    assert (row.check, row.finding.state) == (None, State.NOT_CHECKED)


def test_string_booleans_are_read_as_dimails_fixtures_mean_them():
    assert finding("mx", [{"name": "mx", "ok": "false", "errors": []}]).state == State.WRONG
    assert finding("mx", [{"name": "mx", "ok": "true", "errors": []}]).state == State.CORRECT


def test_a_wrong_record_keeps_dimails_words_and_codes():
    checks = [{"name": "dkim", "ok": False, "errors": [{"code": "no_dkim", "detail": "Aucune"}]}]
    found = finding("dkim", checks)
    assert (found.state, found.words, found.codes) == (State.WRONG, ("Aucune",), ("no_dkim",))

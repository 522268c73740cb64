"""webapp.text: the one home of how typed text is compared."""

import disarm
import pytest

from webapp import text


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bob Roe", "Bob R\u043ee"),  # Cyrillic о
        ("Bob Ro\u00e9", "Bob Roe\u0301"),  # NFC and NFD
        ("Bob Roe", "ＢＯＢ ＲＯＥ"),  # fullwidth, upper case
        ("Bob Roe", "Bob  R\u200boe"),  # spaces collapsed, invisible characters dropped
        ("Bob Roe", "B0b Roe"),  # a zero for an o
    ],
)
def test_names_that_look_the_same_have_one_skeleton(a, b):
    assert text.skeleton(a) == text.skeleton(b)


@pytest.mark.parametrize(("a", "b"), [("Bob Roé", "Bob Roe"), ("Ann", "Anne"), ("Lee", "Li")])
def test_names_that_look_different_keep_different_skeletons(a, b):
    assert text.skeleton(a) != text.skeleton(b)


def test_fold_is_nfkc_case_folding():
    assert text.fold("ＢＯＢ Straße") == "bob strasse"
    assert text.fold("Roe\u0301") == "ro\u00e9"


def test_invisible_characters_are_found_and_visible_ones_left():
    assert text.invisible_characters("a\u200bb\u202ec\u200b\x00") == ["\u200b", "\u202e", "\x00"]
    # Accents, a variation selector on an ideograph and ordinary spaces are part of names.
    assert text.invisible_characters("Roe\u0301 \u845b\U000e0100 Ng\u00e2") == []


def test_the_stored_keys_match_the_installed_skeletons():
    """A disarm release that changes its keys changes every mailbox's name key: it needs a
    migration recomputing them (as e3f4a5b6c7d8 does), then SKELETON_SCHEMA raised to match."""
    assert disarm.KEY_SCHEMA_VERSION == text.SKELETON_SCHEMA

"""The French catalogue keeps up with the code: every message the code and templates say is in
it, translated and not fuzzy, and the committed template (messages.pot) and catalogue match a
fresh extraction, made here the way `make messages` makes it."""

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
POT = TRANSLATIONS / "messages.pot"
FRENCH = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"


def _extract_arguments() -> list[str]:
    """The `pybabel extract` line of the Makefile's `messages` target, without its output file:
    one source for the keywords and the folders."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "pybabel extract" in line)
    words = shlex.split(line.split("pybabel", 1)[1])
    if "-o" in words:
        at = words.index("-o")
        del words[at : at + 2]
    return words


def _keys(path: Path) -> set:
    with path.open("rb") as f:
        return {(m.context, m.id) for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    arguments = _extract_arguments()
    CommandLineInterface().run(["pybabel", "-q", *arguments, "-o", str(out)])
    return out


@pytest.fixture(scope="module")
def french():
    with FRENCH.open("rb") as f:
        return {(m.context, m.id): m for m in read_po(f) if m.id}


def _shown(keys) -> list[str]:
    return sorted(f"{context + ' | ' if context else ''}{mid!r}" for context, mid in keys)


def test_the_extraction_follows_the_makefile():
    arguments = _extract_arguments()
    assert arguments[0] == "extract" and "babel.cfg" in arguments
    assert {"webapp", "templates"} <= set(arguments)
    assert "N_" in arguments  # the wordings' marker


def test_every_extracted_message_is_translated_in_french(extracted, french):
    missing = _keys(extracted) - set(french)
    untranslated = {
        key
        for key in _keys(extracted) & set(french)
        if not all(
            french[key].string if isinstance(french[key].string, tuple) else [french[key].string]
        )
    }
    assert _shown(missing) == [], "missing from the French catalogue: run make messages"
    assert _shown(untranslated) == [], "untranslated in the French catalogue"


def test_no_french_entry_is_fuzzy(french):
    fuzzy = {key for key, message in french.items() if "fuzzy" in message.flags}
    assert _shown(fuzzy) == []


def test_the_committed_template_and_catalogue_are_not_stale(extracted):
    fresh = _keys(extracted)
    assert _shown(fresh ^ _keys(POT)) == [], "messages.pot is stale: run make messages"
    assert _shown(fresh ^ _keys(FRENCH)) == [], "messages.po is stale: run make messages"


def test_placeholders_survive_translation(french):
    """A translation that lost or renamed a placeholder would fail, or say less, when shown."""
    placeholder = re.compile(r"%\(\w+\)[sd]|\{[^{}]*\}")
    broken = []
    for (context, mid), message in french.items():
        ids = mid if isinstance(mid, tuple) else (mid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(set(placeholder.findall(ids[-1])))
        for text in strings:
            if text and sorted(set(placeholder.findall(text))) != wanted:
                broken.append((context, mid))
    assert _shown(broken) == []

"""How the application reads the text people type: the one home of its Unicode rules.

Each rule is one function, used by validators, models, services and migrations alike:

- `case_fold(s)`: compatibility forms and case folded (NFKC, then case folding), so that
  "ＢＯＢ" and "bob" are one word, and nothing else: what the skeletons start from.
- `transliterate(s)`: every letter in plain ASCII, as a French reader would spell it (é → e,
  œ → oe, æ → ae, ø → o, ß → ss, and Cyrillic, Greek, CJK... romanised), by `anyascii`.
- `fold(s)`: what a search compares: case_fold, then transliterated letter by letter, so that
  "oeuvray" finds "Œuvray" and "therese" "Thérèse".
- `sort_key(s)`: what a list sorts names by: transliterated, case folded, only letters, digits
  and single spaces, so that É sorts with E, Ç with C and Œ as OE, in byte order (stored: the
  same order on SQLite and PostgreSQL, whatever their collations).
- `skeleton(s)`: what "looks the same" compares (UTS #39 confusable detection): after NFKC and
  case folding, every character becomes the prototype it is confused with, so a Cyrillic "о"
  equals a Latin "o" and an NFD "Roé" its NFC twin. Not for display, nor for searching.
- `invisible_characters(s)`: the characters of s that show nothing (format and control
  characters: zero-width spaces, bidirectional overrides...), which no name needs.
- `scripts(s)`, `allowed_script_mix(found)` and `ascii_lookalike(s)`: what a domain label may
  mix, after the rules browsers follow before they show a name in Unicode rather than in
  punycode (UTS #39 "highly restrictive", as Chromium applies it).

The confusable and script data come from `disarm` (Unicode's confusables.txt and script
properties, compiled): ICU's SpoofChecker, which browsers use, has no wheel for Python, and
tables copied by hand would age silently. A new `disarm` release may change the skeletons
(`disarm.KEY_SCHEMA_VERSION`): stored keys then need a migration recomputing them (as
`20261202_e3f4a5b6c7d8_confusable_name_keys` does), which a test reminds of. The spellings come
from `anyascii` for the same reason; a release that changes them needs the stored search and sort
keys recomputed likewise (as `20261203_f4a5b6c7d8e9_french_name_keys` does).
"""

import re
import unicodedata

import disarm
from anyascii import anyascii

# disarm.KEY_SCHEMA_VERSION when the stored name keys were computed: see the module's docstring.
SKELETON_SCHEMA = 10


def case_fold(s: str) -> str:
    """NFKC case folding (NFKC, fold, NFKC again: folding can leave text unnormalised)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s or "").casefold())


def transliterate(s: str) -> str:
    """The letters, digits and punctuation of s in ASCII, character by character (so that a
    part of s gives a part of the result): accents dropped, ligatures spelt out, other scripts
    romanised. Symbols (emoji...) stay as they are rather than become words, and so does what
    anyascii knows no spelling for, unless it is a mark or shows nothing (then it goes)."""
    out = []
    for ch in unicodedata.normalize("NFC", s or ""):
        category = unicodedata.category(ch)[0]
        spelt = ch if ch.isascii() or category == "S" else anyascii(ch)
        if not spelt and category not in "MC":
            spelt = ch
        out.append(spelt)
    return "".join(out)


def fold(s: str) -> str:
    """What a search compares: case_fold(s) transliterated, then case folded again (anyascii
    spells 毛 "Mao"). Each character is folded alone, so a term found in a text stays found."""
    return transliterate(case_fold(s)).casefold()


_NOT_SORTED = re.compile(r"[^0-9a-z\u0080-\U0010ffff]+")
# A sort key is at most this long: a key only has to tell names apart, and must fit its index.
SORT_KEY_LENGTH = 120


def sort_key(s: str) -> str:
    """fold(s) with punctuation and runs of spaces as one space ("Saint-Exupéry" sorts as
    "saint exupery", "O'Brien" as "o brien"), cut to SORT_KEY_LENGTH characters. Compared byte
    by byte, so that "dupont" < "dupre" < "durand" on every database."""
    return _NOT_SORTED.sub(" ", fold(s)).strip()[:SORT_KEY_LENGTH].rstrip()


def skeleton(s: str) -> str:
    """The UTS #39 skeleton of case_fold(s), with spaces collapsed and invisible characters
    dropped. Digits join the letters they pass for (0 = o, 1 = l), as identifiers want."""
    return disarm.skeleton_key(case_fold(s), digit_policy="tr39")


def invisible_characters(s: str) -> list[str]:
    """The characters of s that render as nothing, in order of appearance, each once.

    Format characters (Unicode category Cf: zero-width spaces and joiners, bidirectional
    marks, overrides and isolates, the soft hyphen, the byte order mark...) and control
    characters (Cc), plus the blank letters and symbols that disarm knows as such (the Hangul
    fillers, the blank Braille pattern). Combining marks are left alone: a variation selector
    picks the glyph of a Japanese name's ideograph.
    """
    found: dict[str, None] = {}
    for ch in s or "":
        if ch in found or ch.isspace():
            continue
        category = unicodedata.category(ch)
        if category in ("Cf", "Cc") or (category[0] != "M" and not disarm.strip_format(ch).strip()):
            found[ch] = None
    return list(found)


def character_name(ch: str) -> str:
    """U+200B ZERO WIDTH SPACE: how a message names a character that cannot be seen."""
    kind = "CONTROL CHARACTER" if unicodedata.category(ch) == "Cc" else "UNNAMED CHARACTER"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, kind)}"


def scripts(s: str) -> set[str]:
    """The scripts of s ("LATIN", "CYRILLIC"...), without the shared ones (digits, hyphens,
    combining marks belong to every script)."""
    return {script.name for script in disarm.detect_scripts(s or "")}


# UTS #39 5.2 "highly restrictive": one script, or Latin with the scripts that CJK writing
# mixes with it. Chromium shows a label in Unicode only when its scripts fit one of these.
_HIGHLY_RESTRICTIVE = (
    {"LATIN", "HAN", "HIRAGANA", "KATAKANA"},
    {"LATIN", "HAN", "BOPOMOFO"},
    {"LATIN", "HAN", "HANGUL"},
)


def allowed_script_mix(found: set[str]) -> bool:
    return len(found) <= 1 or any(found <= allowed for allowed in _HIGHLY_RESTRICTIVE)


def ascii_lookalike(s: str) -> str | None:
    """The plain ASCII text that s passes for, letter by letter (Cyrillic "аре" → "ape"), or
    None when s is ASCII already or holds a letter that ASCII has no twin for ("café")."""
    if s.isascii():
        return None
    twin = disarm.normalize_confusables(unicodedata.normalize("NFC", s))
    return twin if twin.isascii() else None


def script_label(script: str) -> str:
    """LATIN → Latin, CANADIAN_ABORIGINAL → Canadian Aboriginal: for messages."""
    return script.replace("_", " ").title()

"""Validation of the names and addresses users type, shared by forms, services and the CLI."""

import functools
import ipaddress
import re

import idna
from babel.lists import format_list
from email_validator import EmailNotValidError, validate_email
from flask_babel import get_locale, lazy_pgettext, ngettext
from flask_babel import gettext as _

from webapp import text

MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


class InvalidValue(ValueError):
    """A value a user typed, refused with a message meant for that user."""


def normalise_domain_name(raw: str) -> str:
    """Return the lower-cased ASCII (punycode) form of a domain name, or raise InvalidValue."""
    name = (raw or "").strip()
    if not name:
        raise InvalidValue(_("Enter a domain name, such as example.fr."))
    if "://" in name or name.lower().startswith(("http:", "https:")):
        raise InvalidValue(_("Enter the domain name alone, without http:// or https://."))
    if "/" in name or "?" in name or "#" in name:
        raise InvalidValue(_("Enter the domain name alone, without a path (nothing after a /)."))
    if "@" in name:
        raise InvalidValue(_("Enter a domain name, not an email address."))
    if any(ch.isspace() for ch in name):
        raise InvalidValue(_("A domain name cannot contain spaces."))
    if name.endswith("."):
        raise InvalidValue(_("Remove the dot at the end of the domain name."))
    if "_" in name:
        raise InvalidValue(_("A domain name cannot contain underscores (_)."))
    if _is_ip_address(name):
        raise InvalidValue(_("Enter a domain name, not an IP address."))
    if len(name) > MAX_DOMAIN_LENGTH:
        raise InvalidValue(_("A domain name has at most %(n)d characters.", n=MAX_DOMAIN_LENGTH))

    labels = name.split(".")
    if len(labels) < 2:
        raise InvalidValue(_("Enter a full domain name with at least one dot, such as example.fr."))
    if any(label == "" for label in labels):
        raise InvalidValue(_("A domain name cannot contain two dots in a row or start with a dot."))
    for label in labels:
        if label.startswith("-") or label.endswith("-"):
            raise InvalidValue(
                _("“%(label)s” starts or ends with a hyphen, which is not allowed.", label=label)
            )

    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        if "too long" in str(exc).lower():
            raise InvalidValue(
                _("Each part between dots has at most %(n)d characters.", n=MAX_LABEL_LENGTH)
            ) from exc
        raise InvalidValue(
            _("This is not a valid domain name: use letters, digits and hyphens between dots.")
        ) from exc

    ascii_name = ascii_name.lower()
    if len(ascii_name) > MAX_DOMAIN_LENGTH:
        raise InvalidValue(_("A domain name has at most %(n)d characters.", n=MAX_DOMAIN_LENGTH))
    for label in ascii_name.split("."):
        if len(label) > MAX_LABEL_LENGTH:
            raise InvalidValue(
                _("Each part between dots has at most %(n)d characters.", n=MAX_LABEL_LENGTH)
            )
        if not _LABEL.match(label):
            raise InvalidValue(
                _("This is not a valid domain name: use letters, digits and hyphens between dots.")
            )
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        raise InvalidValue(_("The last part of a domain name cannot be only digits."))
    return ascii_name


def normalise_new_domain_name(raw: str) -> str:
    """normalise_domain_name, refusing too the names that can pass for another one.

    Only for a domain being added: those already here stay reachable under their names.
    """
    ascii_name = normalise_domain_name(raw)
    labels = [unicode_domain_name(label) for label in ascii_name.split(".")]
    tld = labels[-1]
    for label in labels:
        if not label.isascii():
            _refuse_lookalike_label(label, tld)
    return ascii_name


def _refuse_lookalike_label(label: str, tld: str) -> None:
    """The rules browsers apply before they show a label in Unicode instead of punycode
    (UTS #39): one script per label, Latin beside Chinese, Japanese or Korean, and no label
    made only of letters that pass for plain ones, unless the whole name is in that script
    (москва.рф is Cyrillic throughout; москва.com reads as "mockba.com")."""
    found = text.scripts(label)
    if not text.allowed_script_mix(found):
        raise InvalidValue(
            _(
                "“%(label)s” mixes %(scripts)s letters, as lookalike names do: write each part "
                "of the name in one alphabet (Latin may go with Chinese, Japanese or Korean).",
                label=label,
                scripts=_joined(found),
            )
        )
    twin = text.ascii_lookalike(label)
    if twin is None or "LATIN" in found or (not tld.isascii() and text.scripts(tld) == found):
        return
    raise InvalidValue(
        _(
            "“%(label)s” is written in %(scripts)s letters that look exactly like the plain "
            "letters “%(twin)s”, so the name would pass for another domain. Type it in letters "
            "a to z if that is the name you mean.",
            label=label,
            scripts=_joined(found),
            twin=twin,
        )
    )


def _joined(scripts: set[str]) -> str:
    locale = get_locale()
    known = locale.scripts if locale is not None else {}
    names = sorted(known.get(_SCRIPT_CODES.get(s, ""), text.script_label(s)) for s in scripts)
    return format_list(names, locale=locale or "en")


# Unicode script names as ISO 15924 codes, for their names in the reader's language.
_SCRIPT_CODES = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "ARMENIAN": "Armn", "HAN": "Hani",
    "HIRAGANA": "Hira", "KATAKANA": "Kana", "HANGUL": "Hang", "ARABIC": "Arab",
    "HEBREW": "Hebr", "GEORGIAN": "Geor", "CHEROKEE": "Cher",
}  # fmt: skip


def _is_ip_address(name: str) -> bool:
    candidate = name.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def unicode_domain_name(ascii_name: str) -> str:
    """The Unicode form of an ASCII (punycode) domain name, for display.

    Decoding checks every label against the IDNA tables, which costs more than the rest of a
    table row; pages show a domain's name many times, so the answers (a pure function of the
    name) are remembered.
    """
    try:
        return idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError):
        return ascii_name


def normalise_email_address(raw: str) -> str:
    """Return a normalised email address, or raise InvalidValue. No DNS lookup is made."""
    value = (raw or "").strip()
    if not value:
        raise InvalidValue(_("Enter an email address."))
    if len(value) > 254:
        raise InvalidValue(_("An email address has at most 254 characters."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        # email-validator's own explanation follows, in its words.
        raise InvalidValue(_("This is not a valid email address: %(why)s", why=exc)) from exc
    return result.normalized.lower()


def comparable_email(raw: str) -> str:
    """The one spelling of an address that lookups and comparisons use, whatever form its
    domain was typed in: lower-cased, the domain in Unicode as normalise_email_address stores
    it, so that bob@xn--exmple-cua.fr and bob@exämple.fr are one address. Raises nothing: a
    value that is no address comes back stripped and lower-cased, and matches nobody's."""
    value = (raw or "").strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not domain:
        return value
    return f"{local}@{_unicode_form(domain)}"


@functools.lru_cache(maxsize=4096)
def _unicode_form(domain: str) -> str:
    try:
        ascii_name = idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        return domain
    return unicode_domain_name(ascii_name)


MAX_LOCAL_PART_LENGTH = 64
MAX_NAME_LENGTH = 200
_LOCAL_PART = re.compile(r"^[a-z0-9._-]+$")


def normalise_local_part(raw: str) -> str:
    """The part before the @ of an address of ours: letters, digits, `.`, `_` and `-`."""
    value = (raw or "").strip().lower()
    if not value:
        raise InvalidValue(_("Enter the part before the @, such as jane.doe."))
    if len(value) > MAX_LOCAL_PART_LENGTH:
        raise InvalidValue(_("Use at most %(n)d characters.", n=MAX_LOCAL_PART_LENGTH))
    if not _LOCAL_PART.match(value):
        if any(ord(ch) > 127 for ch in value):
            raise InvalidValue(_("Accented letters are not allowed: use a to z, digits, . _ or -."))
        bad = sorted({ch for ch in value if not _LOCAL_PART.match(ch)})
        shown = " ".join(_("space") if ch.isspace() else ch for ch in bad)
        raise InvalidValue(
            _("Only letters a to z, digits, . _ and - are allowed (not %(shown)s).", shown=shown)
        )
    if value.startswith(".") or value.endswith(".") or ".." in value:
        raise InvalidValue(_("A dot cannot come first, last, or twice in a row."))
    return value


# What a person's name is called in messages ("Enter the first name."), by `what`.
_NAME_WORDS = {
    "name": lazy_pgettext("a person's", "name"),
    "first name": lazy_pgettext("a person's", "first name"),
    "last name": lazy_pgettext("a person's", "last name"),
}


def clean_person_name(raw: str, what: str) -> str:
    value = " ".join((raw or "").split())
    word = _NAME_WORDS.get(what, what)
    if not value:
        raise InvalidValue(_("Enter the %(what)s.", what=word))
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidValue(_("Use at most %(n)d characters.", n=MAX_NAME_LENGTH))
    if hidden := text.invisible_characters(value):
        shown = ", ".join(text.character_name(ch) for ch in hidden)
        raise InvalidValue(
            ngettext(
                "Remove the invisible character from the %(what)s (%(shown)s): a name with "
                "characters nobody sees can pass for another one.",
                "Remove the invisible characters from the %(what)s (%(shown)s): a name with "
                "characters nobody sees can pass for another one.",
                len(hidden),
                what=word,
                shown=shown,
            )
        )
    return value


def suggest_local_part(first_name: str, last_name: str) -> str:
    """jane.doe from "Jane" "Doe", Hélène → helene, Œuvray → oeuvray: every letter spelt in
    ASCII (webapp.text.transliterate), what dimail's users expect to see. Empty when nothing
    of the names can be spelt so: the person then types the address."""
    parts = []
    for name in (first_name, last_name):
        ascii_name = text.transliterate(text.case_fold(name)).casefold()
        cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
        if cleaned:
            parts.append(cleaned)
    return ".".join(parts)[:MAX_LOCAL_PART_LENGTH].strip(".-")

"""Every sentence the product stores for people to read, once, by identifier.

Services, jobs and the audit log store a `Said` (an identifier and named parameters), never the
sentence itself: pages and emails render it when they show it, so that a wording is changed, or
translated, in one place and applies to rows written long before. A parameter may itself be a
`Said` (the work a failure is about), or a list of them (shown one after the other, separated
by semicolons). Rows written before identifiers existed load as `legacy.text`.

`{name!c}` in a wording starts the parameter with a capital letter (it opens the sentence).
The wordings themselves live in `webapp.wordings`, one table for the whole product.
"""

from __future__ import annotations

import functools
import json
import string
from dataclasses import dataclass

from webapp.catalogue import gettext
from webapp.wordings import WORDINGS

LEGACY = "legacy.text"


@dataclass(frozen=True)
class Said:
    id: str
    params: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return render(self)

    def param(self, name: str, default=None):
        return dict(self.params).get(name, default)

    def as_dict(self) -> dict:
        return {"id": self.id, "params": {k: _param_as_json(v) for k, v in self.params}}


def say(message_id: str, **params) -> Said:
    """The message `message_id` with its parameters; refuses an unknown identifier or a
    parameter its wording does not have (or lacks), so a mistake shows at the first test."""
    wording = WORDINGS.get(message_id)
    if wording is None:
        raise KeyError(f"no message {message_id!r} in webapp.wordings")
    expected = placeholders(message_id)
    if set(params) != expected:
        raise TypeError(f"message {message_id!r} takes {sorted(expected)}, got {sorted(params)}")
    return Said(message_id, tuple(sorted(params.items())))


def then(first: Said, second: Said) -> Said:
    """Two messages shown one after the other (what was done, then what follows)."""
    return say("two_sentences", first=first, second=second)


def legacy(text: str) -> Said:
    """A sentence stored before identifiers existed, shown as it was written."""
    return Said(LEGACY, (("text", text),))


@functools.cache
def placeholders(message_id: str) -> frozenset[str]:
    fields = string.Formatter().parse(WORDINGS[message_id])
    return frozenset(name for _, name, _, _ in fields if name)


class _Formatter(string.Formatter):
    def convert_field(self, value, conversion):
        if conversion == "c":
            text = str(value)
            return text[:1].upper() + text[1:]
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        return format(_rendered(value), format_spec)


_FORMATTER = _Formatter()


def _rendered(value):
    if isinstance(value, Said):
        return render(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(_rendered(item)) for item in value)
    return value


def render(said: Said) -> str:
    wording = WORDINGS.get(said.id)
    params = {k: _rendered(v) for k, v in said.params}
    if wording is None:  # an identifier a later version removed: never lose the row's meaning
        return params.get("text") or said.id
    # In the reader's language (English outside a request, or without a catalogue).
    return _FORMATTER.vformat(gettext(wording), (), params)


def minute(moment) -> str:
    """A moment as messages show it, to the minute (times are UTC)."""
    return f"{moment:%Y-%m-%d %H:%M}"


def _param_as_json(value):
    if isinstance(value, Said):
        return value.as_dict()
    if isinstance(value, list | tuple):
        return [_param_as_json(item) for item in value]
    return value


def _param_from_json(value):
    if isinstance(value, dict) and "id" in value:
        return from_dict(value)
    if isinstance(value, list):
        return [_param_from_json(item) for item in value]
    return value


def from_dict(data: dict) -> Said:
    params = data.get("params") or {}
    return Said(data["id"], tuple(sorted((k, _param_from_json(v)) for k, v in params.items())))


def from_json_field(value) -> Said | None:
    """A message kept inside a JSON column (a drift report): a dict, or older plain text."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return from_dict(value)
    return legacy(str(value))


def dump(said: Said) -> str:
    return json.dumps(said.as_dict(), ensure_ascii=False, sort_keys=True)


def load(text: str) -> Said:
    """A stored column's value: a message, or a sentence from before identifiers."""
    if text.startswith('{"id"'):
        try:
            return from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError):
            pass
    return legacy(text)

"""Comparing two pages that may differ only by their one-time tokens."""

import re

# CSRF tokens carry a timestamp, so two pages rendered a second apart differ
# there: in hidden fields and in the htmx headers on <body>.
TOKENS = re.compile(r'value="[^"]+"|"X-CSRFToken": "[^"]+"')


def without_tokens(html: str) -> str:
    return TOKENS.sub("", html)

"""dimail's routes, as DIMAIL.md and the recordings describe them, in one module per kind.

Importing this module registers every route on the three blueprints of `web.py`; the app
registers the blueprints its generation has.
"""

from __future__ import annotations

from . import accounts, aliases, domains, mailboxes
from .web import api, current_only, with_check

__all__ = ["accounts", "aliases", "api", "current_only", "domains", "mailboxes", "with_check"]

"""What bench/pages.py measures: the account's size, the load, and the pages with what each
must show."""

import math
import re
import secrets

from webapp.config import normalise_database_url

DOMAINS = 200
BIG, BIG_MAILBOXES, ALIAS_NAMES, ALIAS_DESTINATIONS = "big.bench.example", 10_000, 1_000, 2
SMALL, SMALL_MAILBOXES = "small.bench.example", 100
EMAIL = "owner@bench.example"
PASSWORD = "bench-password-" + secrets.token_hex(4)
HASH = "pbkdf2:sha256:1000"
# Three mailboxes of the big domain carry this in their last name.
NEEDLE, NEEDLE_AT = "quixote", (1_234, 5_678, 9_012)
FIRST_NAMES = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès")
PAGE_SIZE = 50  # the application's default PAGE_SIZE, not settable from the environment

REQUESTS = 900  # per page, in ROUNDS batches
ROUNDS = 3
LOADS = (2, 4)  # client threads at once: one per gunicorn worker, then twice as many
WARM_UP = 10
BATCH_SECONDS = 20  # a batch stops early rather than run past this
QUERY_COUNT_REPEAT = 3
SAMPLE_SECONDS = 0.1
START_SECONDS = 30
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pages() -> list[tuple[str, str, str, str]]:
    """(label, URL, text the answer must contain, Accept-Language) for every page measured: in
    English, and the big mailbox list in French too, to compare the cost of the translation."""
    big, small = f"/domains/{BIG}/mailboxes/", f"/domains/{SMALL}/mailboxes/"
    last = math.ceil(BIG_MAILBOXES / PAGE_SIZE)
    return [
        ("/healthz", "/healthz", "ok", "en"),
        ("domains list (200)", "/domains/", f"{DOMAINS} domains", "en"),
        ("mailboxes 10,000: page 1", big, f"{BIG_MAILBOXES} mailboxes", "en"),
        (f"mailboxes 10,000: ?q={NEEDLE}", f"{big}?q={NEEDLE}", f"3 mailboxes matching “{NEEDLE}”",
         "en"),
        (f"mailboxes 10,000: last (p.{last})", f"{big}?page={last}", f"Page {last} of {last}",
         "en"),
        ("mailboxes 100: page 1", small, f"{SMALL_MAILBOXES} mailboxes", "en"),
        ("mailboxes 10,000: page 1, in French", big, '<html lang="fr">', "fr"),
    ]  # fmt: skip


def in_process_config(database_url: str) -> dict:
    """The configuration of the applications this process builds (seeding, counting queries)."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "APP_ENV": "testing",
        "TESTING": True,
        "PASSWORD_HASH_METHOD": HASH,
        "REDIS_URL": "redis://127.0.0.1:9/0",  # never reached: these pages enqueue nothing
        "DIMAIL_URL": "http://127.0.0.1:9",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "PAGE_SIZE": PAGE_SIZE,
    }

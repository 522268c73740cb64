"""bench/pages.py --database: the organisation-scale database (1,000,000 mailboxes over 2,000
domains, one of them with 100,000), filled with COPY, and the pages measured on it.

Two owners log in. `owner@bench.example` owns all 2,000 domains, among them `big.bench.example`
(100,000 mailboxes, 20,000 alias rows, 100,000 audit entries). `small@bench.example` owns 50
domains holding 100 mailboxes in all: `small.bench.example` (100 mailboxes, 100 alias rows, 100
audit entries) and 49 empty ones. Every page is measured for both: the small owner's is the
page "at 100 mailboxes", in the same database and on the same server.
"""

import hashlib
import math
from datetime import timedelta

import psycopg
from pages_config import FIRST_NAMES, NEEDLE, PAGE_SIZE, PASSWORD
from pg_database import copy_rows, libpq

from webapp import messages
from webapp.extensions import db
from webapp.models import Domain, DomainAccess, DomainStatus, Role, User
from webapp.models.base import utcnow
from webapp.models.mailbox import name_key, search_key, sort_key

DOMAINS, MAILBOXES = 2_000, 1_000_000
BIG, BIG_MAILBOXES = "big.bench.example", 100_000
SMALL, SMALL_MAILBOXES = "small.bench.example", 100
EMPTY = 49  # the small owner's other domains
BIG_ALIAS_NAMES, SMALL_ALIAS_NAMES, ALIAS_DESTINATIONS = 10_000, 50, 2
OWNER, SMALL_OWNER = "owner@bench.example", "small@bench.example"
NEEDLE_AT = {BIG: (12_345, 56_789, 90_123), SMALL: (42,)}
BROAD = "martin"  # in every mailbox's last name of the two measured domains
DISABLED_EVERY = 20  # the status filter shows these
MAILBOX_COLUMNS = (
    *("domain_id", "local_part", "first_name", "last_name", "name_key", "search_key"),
    *("sort_key", "secondary_email", "status", "created_at", "enabled_wanted"),
    *("dimail_created_at", "dimail_enabled", "names_synced"),
)


def scale_pages() -> list[tuple[str, str, str, str, str]]:
    """(label, URL, text the answer must contain, Accept-Language, who) for every page: /healthz,
    then each list page for the big owner and for the small one, side by side."""
    rows = [("/healthz", "/healthz", "ok", "en", OWNER)]
    for who, domain, size in ((OWNER, BIG, BIG_MAILBOXES), (SMALL_OWNER, SMALL, SMALL_MAILBOXES)):
        base = f"/domains/{domain}"
        last = math.ceil(size / PAGE_SIZE)
        few = len(NEEDLE_AT[domain])
        disabled = len(range(0, size, DISABLED_EVERY))
        domains = DOMAINS if who == OWNER else EMPTY + 1
        tag = f"{size:,}"
        rows += [
            (f"domains list ({domains:,}) [{tag}]", "/domains/", f"{domains:,} domains", "en", who),
            (f"mailboxes page 1 [{tag}]", f"{base}/mailboxes/", f"{size:,} mailboxes", "en", who),
            (f"search, few (?q={NEEDLE}) [{tag}]", f"{base}/mailboxes/?q={NEEDLE}",
             f"{few} mailbox", "en", who),
            (f"search, many (?q={BROAD}) [{tag}]", f"{base}/mailboxes/?q={BROAD}",
             f"“{BROAD}”", "en", who),  # "N matching" at 100, "More than N match" at 100,000
            (f"status filter (disabled) [{tag}]", f"{base}/mailboxes/?status=disabled",
             f"{disabled:,}", "en", who),
            (f"last page (p.{last}) [{tag}]", f"{base}/mailboxes/?page={last}",
             f"Page {last} of {last}", "en", who),
            (f"alias list [{tag}]", f"{base}/aliases/", "alias", "en", who),
            (f"audit log [{tag}]", f"{base}/log/", "Mailbox created", "en", who),
        ]  # fmt: skip
    return rows


def pairs() -> list[tuple[str, str]]:
    """(label at 100,000, label at 100) of each list page."""
    pages = scale_pages()[1:]
    half = len(pages) // 2
    return [(pages[i][0], pages[i + half][0]) for i in range(half)]


def _owners_and_domains(app) -> dict[str, int]:
    """The two owners, the 2,000 domains and the accesses, through the ORM; returns {name: id}."""
    now = utcnow()
    names = [BIG, SMALL] + [f"e{i:02}.bench.example" for i in range(EMPTY)]
    names += [f"d{i:04}.bench.example" for i in range(DOMAINS - len(names))]
    with app.app_context():
        owners = {}
        for email in (OWNER, SMALL_OWNER):
            owners[email] = User(email=email, name="Bench owner", active=True)
            owners[email].set_password(PASSWORD)
            db.session.add(owners[email])
        db.session.flush()
        db.session.execute(db.insert(Domain), [
            {"name": n, "support_email": f"support@{n}", "status": DomainStatus.ENABLED.value,
             "status_changed_at": now, "created_at": now, "dimail_created_at": now}
            for n in names
        ])  # fmt: skip
        ids = dict(db.session.execute(db.select(Domain.name, Domain.id)).all())
        small_owned = [SMALL] + names[2 : 2 + EMPTY]
        accesses = [(OWNER, n) for n in names] + [(SMALL_OWNER, n) for n in small_owned]
        db.session.execute(db.insert(DomainAccess), [
            {"domain_id": ids[n], "user_id": owners[who].id, "role": Role.OWNER.value,
             "created_at": now} for who, n in accesses
        ])  # fmt: skip
        db.session.commit()
        db.session.remove()
    return ids


def mailbox_row(domain_id: int, i: int, real_keys: bool, needle: bool, now) -> tuple:
    """One mailbox row. The two measured domains get the application's own keys; the filler
    domains (ASCII names, where fold() is lower()) a cheaper exact copy of them, and a name key
    that is unique without being the skeleton's hash (no page of the bench reads it)."""
    first = FIRST_NAMES[i % len(FIRST_NAMES)] if real_keys else "Paul"
    last = f"{NEEDLE.capitalize()}{i}" if needle else f"Martin{i:06}"
    local = f"{first.lower()[:1]}.{last.lower()}" if real_keys else f"p.{last.lower()}"
    secondary = f"person{i}@home.example"
    if real_keys:
        keys = (name_key(first, last), search_key(local, first, last, secondary),
                sort_key(first, last))  # fmt: skip
    else:
        folded = f"{first} {last}".lower()
        keys = (hashlib.sha256(folded.encode()).hexdigest(), f"{local}\n{folded}\n{secondary}",
                f"{last.lower()}\t{first.lower()}")  # fmt: skip
    enabled = i % DISABLED_EVERY != 0
    return (domain_id, local, first, last, *keys, secondary,
            "enabled" if enabled else "disabled", now, enabled, now, enabled, True)  # fmt: skip


def _mailbox_rows(ids: dict[str, int]):
    now = utcnow()
    filler = [ids[n] for n in sorted(ids) if n.startswith("d")]
    for name, size in ((BIG, BIG_MAILBOXES), (SMALL, SMALL_MAILBOXES)):
        needles = set(NEEDLE_AT[name])
        for i in range(size):
            yield mailbox_row(ids[name], i, True, i in needles, now)
    each, extra = divmod(MAILBOXES - BIG_MAILBOXES - SMALL_MAILBOXES, len(filler))
    for n, domain_id in enumerate(filler):
        for i in range(each + (n < extra)):
            yield mailbox_row(domain_id, i, False, False, now)


def _aliases_and_log(ids: dict[str, int]):
    now = utcnow()
    aliases, entries = [], []
    for name, names, size in ((BIG, BIG_ALIAS_NAMES, BIG_MAILBOXES),
                              (SMALL, SMALL_ALIAS_NAMES, SMALL_MAILBOXES)):  # fmt: skip
        aliases += [
            (ids[name], f"team{i:05}", f"member{d}.{i}@elsewhere.example", "enabled", now, now, now)
            for i in range(names)
            for d in range(ALIAS_DESTINATIONS)
        ]
        for i in range(size):
            address = f"m{i}@{name}"
            said = messages.say("audit.mailbox_created", address=address, first="A", last="B")
            at = now - timedelta(seconds=size - i)  # one a second, as an import would not
            entries.append((ids[name], OWNER, "mailbox.created", address, messages.dump(said), at))
    return aliases, entries


def copy_mailboxes(conn: psycopg.Connection, rows) -> int:
    """COPY mailbox rows with the count triggers off (one upsert of a counter row per mailbox
    would double the time), then the counts set from the rows, as their migration does."""
    conn.execute("ALTER TABLE mailboxes DISABLE TRIGGER USER")
    copied = copy_rows(conn, "mailboxes", MAILBOX_COLUMNS, rows)
    conn.execute("ALTER TABLE mailboxes ENABLE TRIGGER USER")
    conn.execute("DELETE FROM mailbox_counts")
    conn.execute(
        "INSERT INTO mailbox_counts (domain_id, status, n) "
        "SELECT domain_id, status, count(*) FROM mailboxes GROUP BY domain_id, status"
    )
    return copied


def seed(app, url: str) -> dict[str, int]:
    """Fill the migrated database; returns the row counts as read back."""
    ids = _owners_and_domains(app)
    aliases, entries = _aliases_and_log(ids)
    with psycopg.connect(libpq(url)) as conn:
        copy_mailboxes(conn, _mailbox_rows(ids))
        copy_rows(conn, "aliases", ("domain_id", "local_part", "destination", "status",
                                    "created_at", "dimail_created_at", "dimail_attempted_at"),
                  aliases)  # fmt: skip
        copy_rows(conn, "audit_entries", ("domain_id", "actor_label", "kind", "target",
                                          "message", "created_at"), entries)  # fmt: skip
        conn.commit()
        counted = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("domains", "domain_accesses", "mailboxes", "aliases", "audit_entries")
        }
    return counted


def check_keys(url: str) -> None:
    """The filler's cheap keys are the application's: checked on a sample of rows."""
    with psycopg.connect(libpq(url)) as conn:
        sample = conn.execute(
            "SELECT local_part, first_name, last_name, secondary_email, search_key, sort_key "
            "FROM mailboxes WHERE local_part LIKE 'p.%' ORDER BY id LIMIT 200"
        ).fetchall()
    for local, first, last, secondary, stored_search, stored_sort in sample:
        if (search_key(local, first, last, secondary), sort_key(first, last)) != (
            stored_search,
            stored_sort,
        ):
            raise SystemExit(f"the bench's keys for {local} differ from the application's")

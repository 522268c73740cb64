"""bench/pages.py's database: migrated, then filled in bulk; and the SQL queries each page
runs, counted in process on that database."""

import logging
import time

import sqlalchemy as sa
from flask_migrate import upgrade
from pages_config import (
    ALIAS_DESTINATIONS,
    ALIAS_NAMES,
    BIG,
    BIG_MAILBOXES,
    CSRF,
    DOMAINS,
    EMAIL,
    FIRST_NAMES,
    NEEDLE,
    NEEDLE_AT,
    PASSWORD,
    QUERY_COUNT_REPEAT,
    SMALL,
    SMALL_MAILBOXES,
    in_process_config,
    pages,
)

from webapp import create_app
from webapp.extensions import db
from webapp.models import Alias, Domain, DomainAccess, DomainStatus, Mailbox, Role, User
from webapp.models.base import utcnow
from webapp.models.mailbox import name_key


def mailbox_rows(domain_id: int, count: int, needles: tuple[int, ...] = ()) -> list[dict]:
    now = utcnow()
    rows = []
    for i in range(count):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = f"{NEEDLE.capitalize()}{i}" if i in needles else f"Martin{i:05}"
        rows.append(
            {
                "domain_id": domain_id,
                "local_part": f"{first.lower()[:1]}.{last.lower()}",
                "first_name": first,
                "last_name": last,
                "name_key": name_key(first, last),
                "secondary_email": f"person{i}@home.example",
                "status": "enabled",
                "created_at": now,
                "enabled_wanted": True,
                "dimail_created_at": now,
                "dimail_enabled": True,
                "names_synced": True,
            }
        )
    return rows


def alias_rows(domain_id: int) -> list[dict]:
    now = utcnow()
    return [
        {
            "domain_id": domain_id,
            "local_part": f"team{i:04}",
            "destination": f"member{d}.{i}@elsewhere.example",
            "status": "enabled",
            "created_at": now,
            "dimail_created_at": now,
        }
        for i in range(ALIAS_NAMES)
        for d in range(ALIAS_DESTINATIONS)
    ]


def seed(database_url: str) -> dict[str, int]:
    """Migrate and fill the database; returns the row counts as read back."""
    app = create_app(in_process_config(database_url))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        user = User(email=EMAIL, name="Bench owner", is_superuser=False, active=True)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        now = utcnow()
        names = [BIG, SMALL] + [f"d{i:03}.bench.example" for i in range(DOMAINS - 2)]
        db.session.execute(
            db.insert(Domain),
            [
                {
                    "name": name,
                    "support_email": f"support@{name}",
                    "status": DomainStatus.ENABLED.value,
                    "status_changed_at": now,
                    "created_at": now,
                    "dimail_created_at": now,
                }
                for name in names
            ],
        )
        ids = dict(db.session.execute(db.select(Domain.name, Domain.id)).all())
        db.session.execute(
            db.insert(DomainAccess),
            [
                {
                    "domain_id": ids[n],
                    "user_id": user.id,
                    "role": Role.OWNER.value,
                    "created_at": now,
                }
                for n in names
            ],
        )
        db.session.execute(db.insert(Mailbox), mailbox_rows(ids[BIG], BIG_MAILBOXES, NEEDLE_AT))
        db.session.execute(db.insert(Mailbox), mailbox_rows(ids[SMALL], SMALL_MAILBOXES))
        db.session.execute(db.insert(Alias), alias_rows(ids[BIG]))
        db.session.commit()
        counts = {
            model.__tablename__: db.session.scalar(db.select(sa.func.count()).select_from(model))
            for model in (Domain, DomainAccess, Mailbox, Alias)
        }
        db.session.remove()
        db.engine.dispose()
    return counts


def _logged_in(app, email: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = CSRF.search(form).group(1)
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if answer.status_code != 303:
        raise SystemExit(f"in-process login answered {answer.status_code}")
    return client


def count_queries(database_url: str, page_list=None, heaviest=None) -> dict[str, set[int]]:
    """SQL statements per request for every page, with a separate in-process application.

    `heaviest`, a dict, receives for each page every statement of its last request:
    [(seconds, statement, parameters)], as the driver was given them."""
    app = create_app(in_process_config(database_url))
    page_list = page_list or pages()
    counts: dict[str, set[int]] = {}
    seen: list[tuple[float, str, object]] = []

    def before(_conn, _cursor, _statement, _parameters, context, _many):
        context.bench_started = time.perf_counter()

    def after(_conn, _cursor, statement, parameters, context, _many):
        seen.append((time.perf_counter() - context.bench_started, statement, parameters))

    # No application context is held around the requests: each gets its own, hence its own
    # database session, as in the web server (a context held open would keep the logged-in
    # user in the session's identity map and hide the query that loads it).
    with app.app_context():
        engine = db.engine
    clients = {who: _logged_in(app, who) for who in {_who(page) for page in page_list}}
    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        for page in page_list:
            label, url, expect, language = page[:4]
            counts[label] = set()
            for _ in range(QUERY_COUNT_REPEAT):
                seen.clear()
                response = clients[_who(page)].get(url, headers={"Accept-Language": language})
                body = response.get_data(as_text=True)
                if response.status_code != 200 or expect not in body:
                    raise SystemExit(f"in-process {url}: {response.status_code}, no {expect!r}")
                counts[label].add(len(seen))
            if heaviest is not None:
                heaviest[label] = list(seen)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
        engine.dispose()
    return counts


def _who(page: tuple) -> str:
    return page[4] if len(page) > 4 else EMAIL

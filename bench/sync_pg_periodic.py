"""bench/sync.py --database: what the periodic work costs at scale, in this process.

The reconciler (webapp.jobs.periodic.reconcile) with RECONCILER_MAILBOXES mailboxes in one
enabled domain among CHECK_DOMAINS, in four states: nothing owed; all marked a moment ago (their
jobs running, not stale yet); all marked long ago (stale: their jobs lost); all owed and
unmarked (dimail lacks their names). Then the cron's checks (check_due_domains) with every one
of the CHECK_DOMAINS domains due, run until none is left, each run followed by the reconciler
as the cron's tick does. Each run's time and SQL statements are measured (a statement run for
many parameter sets counts once per set).
"""

import statistics
import time
from datetime import timedelta

import psycopg
import sqlalchemy as sa
from pages_scale import copy_mailboxes, mailbox_row
from pg_database import libpq, vacuum_analyze
from sync_config import DOMAIN
from sync_database import flush_redis

from webapp.extensions import db
from webapp.jobs.periodic import check_due_domains, reconcile
from webapp.models import AuditEntry, Domain, DomainAccess, DomainStatus, Mailbox, User
from webapp.models.base import utcnow

RECONCILER_MAILBOXES = 100_000
CHECK_DOMAINS = 2_000
RUNS = 10  # reconciler runs per state
RECONCILE_AFTER = 60  # the production default of RECONCILE_AFTER_SECONDS
STATES = {
    "nothing owed, unmarked": "UPDATE mailboxes SET sync_requested_at = NULL",
    "all marked a moment ago (jobs running)": "UPDATE mailboxes SET sync_requested_at = "
    "(now() AT TIME ZONE 'UTC')",
    "all marked an hour ago (jobs lost)": "UPDATE mailboxes SET sync_requested_at = "
    "(now() AT TIME ZONE 'UTC') - interval '1 hour'",
    "all owed, unmarked (names not in dimail)": "UPDATE mailboxes SET sync_requested_at = NULL, "
    "names_synced = false",
}


class Statements:
    """Counts the SQL statements the application's engine runs while it is active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, _conn, _cursor, _statement, parameters, _context, many):
        self.count += len(parameters) if many else 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def _timed(app, func) -> dict:
    with app.app_context():
        with Statements(db.engine) as seen:
            started = time.perf_counter()
            result = func()
            ms = (time.perf_counter() - started) * 1000
        db.session.remove()
    return {"ms": ms, "statements": seen.count, "result": result}


def _fill(app, url: str) -> None:
    """CHECK_DOMAINS enabled domains, the first (DOMAIN) with RECONCILER_MAILBOXES mailboxes
    that dimail has already: nothing owed."""
    now = utcnow()
    with app.app_context():
        for model in (Mailbox, AuditEntry, DomainAccess, Domain, User):
            db.session.execute(sa.delete(model))
        names = [DOMAIN] + [f"c{i:04}.bench.example" for i in range(CHECK_DOMAINS - 1)]
        db.session.execute(db.insert(Domain), [
            {"name": n, "support_email": f"support@{n}", "status": DomainStatus.ENABLED.value,
             "status_changed_at": now - timedelta(days=30), "created_at": now,
             "dimail_created_at": now, "next_check_at": now + timedelta(days=1)}
            for n in names
        ])  # fmt: skip
        db.session.commit()
        domain_id = db.session.scalar(db.select(Domain.id).where(Domain.name == DOMAIN))
        db.session.remove()
    with psycopg.connect(libpq(url)) as conn:
        copy_mailboxes(conn, (mailbox_row(domain_id, i, False, False, now)
                              for i in range(RECONCILER_MAILBOXES)))  # fmt: skip
        # Their confirmations went out: nothing owed at all.
        conn.execute("UPDATE mailboxes SET confirmation_sent_at = created_at")
        conn.commit()
    vacuum_analyze(url)


def measure_reconciler(app, url: str) -> list[dict]:
    """[{state, runs: [{ms, statements, result}]}] for each of STATES."""
    _fill(app, url)
    app.config["RECONCILE_AFTER_SECONDS"] = RECONCILE_AFTER
    measured = []
    for state, statement in STATES.items():
        flush_redis(app)
        with psycopg.connect(libpq(url)) as conn:
            conn.execute(statement)
        vacuum_analyze(url)
        runs = [_timed(app, reconcile) for _ in range(RUNS)]
        median = statistics.median(r["ms"] for r in runs)
        print(f"  reconciler, {state}: {median:.1f} ms per run", flush=True)
        measured.append({"state": state, "runs": runs})
    return measured


def measure_checks(app) -> list[dict]:
    """Every domain due, then check_due_domains and reconcile as the tick runs them, until no
    domain is left to ask: [{checks: {...}, reconciler: {...}}] per tick."""
    flush_redis(app)
    with app.app_context():
        db.session.execute(sa.update(Domain).values(next_check_at=None, sync_requested_at=None))
        db.session.execute(sa.update(Mailbox).values(sync_requested_at=None, names_synced=True))
        db.session.commit()
        db.session.remove()
    ticks = []
    while len(ticks) < CHECK_DOMAINS:
        checks = _timed(app, check_due_domains)
        ticks.append({"checks": checks, "reconciler": _timed(app, reconcile)})
        if not checks["result"]:
            break
    print(f"  checks: {[t['checks']['result'] for t in ticks]} domains asked per tick", flush=True)
    return ticks

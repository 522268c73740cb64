"""bench/sync.py's application, in this process: its database rows (reset before each run,
then polled), the request that enables the domain, the reconciler, and Redis."""

import logging
import os
import secrets
import time

import sqlalchemy as sa
import sync_config
from flask_migrate import upgrade
from rq import Worker
from sync_config import DOMAIN

from webapp import create_app
from webapp.extensions import db
from webapp.jobs.domain_status import change_status
from webapp.jobs.periodic import reconcile
from webapp.jobs.queue import redis_connection
from webapp.models import (
    AuditEntry,
    Domain,
    DomainAccess,
    DomainStatus,
    Mailbox,
    MailboxStatus,
    Role,
    User,
)
from webapp.models.base import utcnow
from webapp.models.mailbox import name_key


def bench_app(env: dict):
    """This process's application, built from the workers' environment, its database
    migrated."""
    os.environ.update(env)
    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
    logging.getLogger().setLevel(logging.WARNING)
    return app


def reset_rows(app) -> int:
    """Delete the bench's rows and insert them again; returns the domain id."""
    with app.app_context():
        for model in (Mailbox, AuditEntry, DomainAccess, Domain, User):
            db.session.execute(sa.delete(model))
        user = User(email="owner@bench.example", name="Bench owner")
        user.set_password(secrets.token_urlsafe(16))
        now = utcnow()
        domain = Domain(
            name=DOMAIN,
            support_email=f"support@{DOMAIN}",
            status=DomainStatus.PENDING,
            dimail_created_at=now,  # created in the simulator by Simulator.reset
        )
        db.session.add_all([user, domain, DomainAccess(domain=domain, user=user, role=Role.OWNER)])
        db.session.flush()
        db.session.execute(
            db.insert(Mailbox),
            [
                {
                    "domain_id": domain.id,
                    "local_part": f"user{i:04}",
                    "first_name": "Bench",
                    "last_name": f"User{i:04}",
                    "name_key": name_key("Bench", f"User{i:04}"),
                    "secondary_email": None,  # no confirmation email job
                    "status": MailboxStatus.PENDING.value,
                    "created_at": now,
                    "enabled_wanted": True,
                    "names_synced": False,
                }
                for i in range(sync_config.MAILBOXES)
            ],
        )
        db.session.commit()
        domain_id = domain.id
        db.session.remove()
    return domain_id


def enabled_count(app, domain_id: int) -> int:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(Mailbox)
            .where(Mailbox.domain_id == domain_id, Mailbox.status == MailboxStatus.ENABLED)
        ).scalar_one()


def rows(app, domain_id: int) -> list[tuple[int, str, str]]:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            sa.select(Mailbox.id, Mailbox.local_part, Mailbox.status).where(
                Mailbox.domain_id == domain_id
            )
        ).all()


def enable_domain(app, domain_id: int) -> float:
    """change_status(..., ENABLED) as the page's request runs it: the commit, the marks, and the
    one job that queues the batches. Returns its duration."""
    with app.app_context():
        started = time.perf_counter()
        change_status(db.session.get(Domain, domain_id), DomainStatus.ENABLED, reason="bench")
        elapsed = time.perf_counter() - started
        marked = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Mailbox)
            .where(Mailbox.domain_id == domain_id, Mailbox.sync_requested_at.is_not(None))
        )
        db.session.remove()
    if marked != sync_config.MAILBOXES:
        expected = sync_config.MAILBOXES
        raise SystemExit(f"expected {expected} mailboxes marked to sync, found {marked}")
    return elapsed


def run_reconcile(app) -> dict:
    with app.app_context():
        counts = reconcile()
        db.session.remove()
    return counts


def flush_redis(app) -> None:
    with app.app_context():
        redis_connection().flushdb()  # the bench's own embedded Redis


def workers_ready(app, count: int, deadline: float) -> None:
    """Wait until `count` workers have registered with Redis (started and listening)."""
    with app.app_context():
        while len(Worker.all(connection=redis_connection())) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{count} worker(s) did not start in time")
            time.sleep(0.05)

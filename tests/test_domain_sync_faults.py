"""Fault injection: a third of dimail's answers fail, and still every domain arrives, once."""

import pytest

from webapp.extensions import db
from webapp.jobs.periodic import reconcile
from webapp.models import Domain, DomainStatus
from webapp.services.domains import create_domain

pytestmark = pytest.mark.faults

FINAL = {DomainStatus.ENABLED, DomainStatus.ACTION_REQUIRED}


def test_fifty_domains_reach_their_status_through_thirty_percent_faults(
    app, simulator, make_user, run_jobs
):
    app.config.update(
        DIMAIL_URL=simulator.url,
        DIMAIL_USER=simulator.user,
        DIMAIL_PASSWORD=simulator.password,
        DIMAIL_TIMEOUT=0.5,
        RECONCILE_AFTER_SECONDS=0,
    )
    # 30% of calls fail: 500/502s, timeouts and dropped connections before any effect, and
    # 502s after the write happened (the answer is lost, the domain exists).
    simulator.faults(
        error_rate=0.10,
        timeout_rate=0.06,
        hang_seconds=1.0,
        drop_rate=0.07,
        fail_after_effect_rate=0.07,
        seed=20261128,
    )
    owner = make_user()
    names = [f"d{i:02}{'-dns' if i % 5 == 0 else ''}.fr" for i in range(50)]
    for name in names:
        assert create_domain(name, f"it@{name}", owner).ok

    rounds = 0
    while rounds < 25:
        rounds += 1
        run_jobs()
        waiting = db.session.scalar(
            db.select(db.func.count(Domain.id)).where(Domain.sync_requested_at.is_not(None))
        )
        if not waiting:
            break
        reconcile()  # what the cron does every minute, for jobs that used all their tries
    db.session.expire_all()

    statuses = dict(db.session.execute(db.select(Domain.name, Domain.status)).all())
    expected = {
        n: DomainStatus.ACTION_REQUIRED if "-dns" in n else DomainStatus.ENABLED for n in names
    }
    assert statuses == expected, f"after {rounds} rounds"
    creations = simulator.creations("domain:")
    assert sorted(creations) == sorted(f"domain:{n}" for n in names)  # none lost
    assert set(creations.values()) == {1}  # none created twice
    requests = simulator.state()["requests"]
    assert sum(requests.values()) > 50 * 3  # the faults did make it retry

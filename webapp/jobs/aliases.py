"""Jobs that make dimail's aliases match ours: create a destination, or remove one."""

import contextlib

from webapp import audit
from webapp.dimail.client import DimailConflict
from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import enqueue_marked
from webapp.messages import say
from webapp.models import Alias, AliasStatus, Domain, DomainStatus
from webapp.models.base import utcnow

EDITED_ROUNDS = 3  # a row changed again and again while it syncs waits for the next run


def sync_job_id(alias_id: int) -> str:
    return f"alias-sync-{alias_id}"


def request_sync(alias: Alias) -> bool:
    return enqueue_marked(alias, sync_alias, sync_job_id(alias.id))


def _record_failure(exc: Exception, final: bool, alias_id: int) -> failures.Failure:
    """Why the alias is not (or not yet) as wanted in dimail, on its row; with no retry left,
    the mark is cleared, and an alias dimail never had is failed."""
    alias = db.session.get(Alias, alias_id)
    if alias is None:
        return failures.describe(exc, say("work.alias_gone"), final)
    pair = f"{alias.local_part} → {alias.destination}"
    removing = alias.status == AliasStatus.DELETING
    what = say("work.alias_removal" if removing else "work.alias", pair=pair)
    failure = failures.describe(exc, what, final)
    alias.last_error = failure.reason
    if failure.final:
        alias.sync_requested_at = None
        if not removing and alias.dimail_created_at is None:
            alias.status = AliasStatus.FAILED
        address = f"{alias.local_part}@{alias.domain.unicode_name}"
        audit.record(
            alias.domain, "alias.failed", failure.cause, target=f"{address} → {alias.destination}"
        )
    return failure


@job(on_failure=_record_failure)
def sync_alias(alias_id: int) -> str:
    """Make dimail match one destination row: create it, or delete it (a tombstone) and then
    the row. Outcomes are written only while the row's mark is the one this run read, so a
    removal saved meanwhile is never overwritten: the run starts over and deletes."""
    for _ in range(EDITED_ROUNDS):
        alias = db.session.get(Alias, alias_id)
        if alias is None:
            return "gone"
        domain = db.session.get(Domain, alias.domain_id)
        if domain.status != DomainStatus.ENABLED:
            alias.sync_requested_at = None  # still owed: sent when the domain is enabled
            db.session.commit()
            return "waiting for the domain"
        outcome = _converge(dimail_client(), domain, alias)
        if outcome is not None:
            return outcome
        db.session.expire_all()  # changed meanwhile: read it again
    return "changed while syncing: left marked for the next run"


def _converge(client, domain: Domain, alias: Alias) -> str | None:
    marked = alias.sync_requested_at
    pair = (alias.local_part, alias.destination)
    if alias.status == AliasStatus.DELETING:
        if alias.dimail_attempted_at is not None or alias.dimail_created_at is not None:
            client.delete_alias(domain.name, *pair)  # absent already (404) counts as done
        gone = db.session.execute(
            db.delete(Alias).where(Alias.id == alias.id, _mark_is(marked))
        ).rowcount
        db.session.commit()
        return "deleted" if gone else None
    if alias.dimail_created_at is None:
        if alias.dimail_attempted_at is None:
            # Committed before the call: if its answer is lost, a removal knows to delete.
            alias.dimail_attempted_at = utcnow()
            db.session.commit()
        # A 409 means that exact pair is there already: an earlier try whose answer was lost.
        with contextlib.suppress(DimailConflict):
            client.create_alias(domain.name, *pair)
    done = db.session.execute(
        db.update(Alias)
        .where(Alias.id == alias.id, Alias.status != AliasStatus.DELETING, _mark_is(marked))
        .values(
            status=AliasStatus.ENABLED,
            dimail_created_at=db.func.coalesce(Alias.dimail_created_at, utcnow()),
            last_error=None,
            sync_requested_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        # Removed (or changed) meanwhile: dimail has the pair now, whatever comes next.
        db.session.execute(
            db.update(Alias)
            .where(Alias.id == alias.id)
            .values(dimail_created_at=db.func.coalesce(Alias.dimail_created_at, utcnow()))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return "enabled" if done else None


def _mark_is(marked):
    column = Alias.__table__.c.sync_requested_at
    return column.is_(None) if marked is None else column == marked

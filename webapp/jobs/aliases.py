"""Jobs that make dimail's aliases match ours: create a destination, or remove one."""

import contextlib

from sqlalchemy.orm.exc import StaleDataError

from webapp.dimail.client import DimailConflict
from webapp.extensions import db
from webapp.jobs import failures
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import mark_and_enqueue
from webapp.models import Alias, AliasStatus, Domain, DomainStatus
from webapp.models.base import utcnow


def sync_job_id(alias_id: int) -> str:
    return f"alias-sync-{alias_id}"


def request_sync(alias: Alias) -> bool:
    return mark_and_enqueue(alias, sync_alias, sync_job_id(alias.id))


def _record_failure(exc: Exception, final: bool, alias_id: int) -> failures.Failure:
    """Why the alias is not (or not yet) as wanted in dimail, on its row; with no retry left,
    the mark is cleared, and an alias dimail never had is failed."""
    alias = db.session.get(Alias, alias_id)
    if alias is None:
        return failures.describe(exc, "an alias since removed", final)
    pair = f"{alias.local_part} → {alias.destination}"
    removing = alias.status == AliasStatus.DELETING
    what = f"the removal of the alias {pair}" if removing else f"the alias {pair}"
    failure = failures.describe(exc, what, final)
    alias.last_error = failure.reason
    if failure.final:
        alias.sync_requested_at = None
        if not removing and alias.dimail_created_at is None:
            alias.status = AliasStatus.FAILED
    return failure


@job(on_failure=_record_failure)
def sync_alias(alias_id: int) -> str:
    alias = db.session.get(Alias, alias_id)
    if alias is None:
        return "gone"
    domain = db.session.get(Domain, alias.domain_id)
    if domain.status != DomainStatus.ENABLED:
        alias.sync_requested_at = None
        db.session.commit()
        return "waiting for the domain"
    client = dimail_client()
    if alias.status == AliasStatus.DELETING:
        if alias.dimail_created_at is not None:
            client.delete_alias(domain.name, alias.local_part, alias.destination)
        db.session.delete(alias)
        db.session.commit()
        return "deleted"
    if alias.dimail_created_at is None:
        # A 409 means that exact pair is there already: an earlier try whose answer was lost.
        with contextlib.suppress(DimailConflict):
            client.create_alias(domain.name, alias.local_part, alias.destination)
        alias.dimail_created_at = utcnow()
    pair = (alias.local_part, alias.destination)
    alias.status = AliasStatus.ENABLED
    alias.last_error = None
    alias.sync_requested_at = None
    try:
        db.session.commit()
    except StaleDataError:
        # Removed here while we were creating it there: remove it there too.
        db.session.rollback()
        client.delete_alias(domain.name, *pair)
        return "removed meanwhile"
    return "enabled"

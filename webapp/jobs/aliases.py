"""Jobs that make dimail's aliases match ours: create a destination, or remove one."""

import contextlib

from sqlalchemy.orm.exc import StaleDataError

from webapp.dimail.client import (
    DimailAuthError,
    DimailConflict,
    DimailRejected,
    DimailUnavailable,
)
from webapp.extensions import db
from webapp.jobs.context import dimail_client, job
from webapp.jobs.queue import mark_and_enqueue
from webapp.models import Alias, AliasStatus, Domain, DomainStatus
from webapp.models.base import utcnow

UNREACHABLE = "The mail platform could not be reached ({detail}). It is tried again automatically."


def sync_job_id(alias_id: int) -> str:
    return f"alias-sync-{alias_id}"


def request_sync(alias: Alias) -> bool:
    return mark_and_enqueue(alias, sync_alias, sync_job_id(alias.id))


@job
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
    try:
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
    except (DimailUnavailable, DimailAuthError) as exc:
        alias.last_error = UNREACHABLE.format(detail=exc)
        db.session.commit()
        raise
    except DimailRejected as exc:
        alias.last_error = f"dimail refused: {exc.detail or exc.status}"
        alias.status = AliasStatus.FAILED
        alias.sync_requested_at = None
        db.session.commit()
        return "failed"
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

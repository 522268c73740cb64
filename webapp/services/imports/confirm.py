"""Confirming a preview: its rows checked again, the rest created in one transaction and
queued the way single creations are (marked, committed, then queued; mailboxes in batches).

A row that became a conflict since the preview (someone created the address meanwhile) is
skipped and reported; it is no reason to refuse the others.
"""

from sqlalchemy.exc import IntegrityError

from webapp import audit, i18n
from webapp.extensions import db
from webapp.jobs import aliases as alias_jobs
from webapp.jobs import mailboxes as mailbox_jobs
from webapp.jobs.queue import enqueue_once
from webapp.messages import Said, say, then
from webapp.models import Alias, AliasStatus, BulkImport, Domain, DomainStatus, ImportRow, Mailbox
from webapp.models import MailboxStatus as Status
from webapp.models.base import utcnow
from webapp.models.bulk_import import RowOutcome
from webapp.models.mailbox import name_key
from webapp.services.aliases import added_entry
from webapp.services.imports.judge import JUDGES, Verdict
from webapp.services.imports.preview import rows
from webapp.services.mailbox_rules import created_entry
from webapp.services.results import Result


def confirm(bulk: BulkImport) -> Result:
    domain = bulk.domain
    if bulk.confirmed_at is not None:
        return Result.failure(say("import.already_confirmed"))
    if bulk.expired:
        return Result.failure(say("import.expired"))
    if domain.status == DomainStatus.DISABLED:
        return Result.failure(say("mailbox.domain_disabled"))
    planned = list(rows(bulk, (RowOutcome.CREATE,)))
    verdicts = JUDGES[bulk.kind](domain, [(row.line, row.cells) for row in planned])
    creating = [v for v in verdicts if v.outcome == RowOutcome.CREATE]
    ids = _create(domain, bulk.kind, creating)
    changes = [
        {"id": row.id, "outcome": RowOutcome.CREATED, "errors": {}} | ids.get(row.line, {})
        if verdict.outcome == RowOutcome.CREATE
        else {"id": row.id, "outcome": RowOutcome.CONFLICT, "errors": verdict.errors}
        for row, verdict in zip(planned, verdicts, strict=True)
    ]
    if changes:
        db.session.execute(db.update(ImportRow), changes)
    bulk.confirmed_at = utcnow()
    bulk.counts = {**bulk.counts, RowOutcome.CREATED: len(creating),
                   RowOutcome.CONFLICT: len(verdicts) - len(creating)}  # fmt: skip
    _record(domain, bulk)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # taken by a parallel request between our checks and our insert
        return Result.failure(say("import.taken_meanwhile"))
    new_ids = [new_id for by_column in ids.values() for new_id in by_column.values()]
    message, queued = _queue(domain, bulk, new_ids)
    return Result.success(bulk, message, "success" if queued else "warning")


def _create(domain: Domain, kind: str, creating: list[Verdict]) -> dict[int, dict]:
    """Insert the rows (not committed); their new ids by line, as import row columns."""
    if not creating:
        return {}
    mark = utcnow() if domain.status == DomainStatus.ENABLED else None
    if kind == "mailboxes":
        model, column, entries, values = Mailbox, "mailbox_id", [], []
        locale = i18n.current()  # the confirmation emails' language: their creator's
        for verdict in creating:
            new = verdict.value
            entries.append(created_entry(domain, new))
            values.append(
                {"domain_id": domain.id, "local_part": new.local_part, "first_name": new.first,
                 "last_name": new.last, "name_key": name_key(new.first, new.last),
                 "secondary_email": new.secondary, "status": Status.PENDING, "locale": locale,
                 "sync_requested_at": mark}
            )  # fmt: skip
        audit.record_many(domain, "mailbox.created", entries)
    else:
        model, column = Alias, "alias_id"
        pairs = [verdict.value for verdict in creating]
        audit.record_many(domain, "alias.added", [added_entry(domain, *pair) for pair in pairs])
        values = [
            {"domain_id": domain.id, "local_part": local_part, "destination": destination,
             "status": AliasStatus.PENDING, "sync_requested_at": mark}
            for local_part, destination in pairs
        ]  # fmt: skip
    new_ids = db.session.scalars(
        db.insert(model).returning(model.id, sort_by_parameter_order=True), values
    ).all()
    return {v.line: {column: new_id} for v, new_id in zip(creating, new_ids, strict=True)}


def _record(domain: Domain, bulk: BulkImport) -> None:
    counts = bulk.counts
    said = say(
        "audit.file_imported",
        file=bulk.file_name,
        created=counts.get(RowOutcome.CREATED, 0),
        skipped=counts.get(RowOutcome.EXISTS, 0) + counts.get(RowOutcome.CONFLICT, 0),
        refused=counts.get(RowOutcome.ERROR, 0),
    )
    audit.record(domain, "import.file", said, target=bulk.file_name)


def _queue(domain: Domain, bulk: BulkImport, new_ids: list[int]) -> tuple[Said, bool]:
    """Queue what was committed with its marks (if Redis is down, they stay marked and the
    reconciler queues them); the message that says where things stand, and whether queued."""
    counts = bulk.counts
    skipped = counts.get(RowOutcome.EXISTS, 0) + counts.get(RowOutcome.CONFLICT, 0)
    done = say("import.confirmed", created=len(new_ids), skipped=skipped)
    if not new_ids:
        return done, True
    if domain.status != DomainStatus.ENABLED:
        return then(done, say("import.recorded_for_later")), True
    if bulk.kind == "mailboxes":
        queued = mailbox_jobs.request_batch_sync(domain.id, new_ids)
    else:
        queued = all(
            enqueue_once(alias_jobs.sync_alias, i, job_id=alias_jobs.sync_job_id(i))
            for i in new_ids
        )
    return then(done, say("import.being_created" if queued else "queue.down")), queued

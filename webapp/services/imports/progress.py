"""Where a confirmed import stands, row by row, read from the mailboxes and aliases it created
(their statuses move as the jobs run): the live counts, and the result as a file."""

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Alias, BulkImport, ImportRow, Mailbox
from webapp.models.bulk_import import RowOutcome
from webapp.services.imports.columns import COLUMNS


@dataclass(frozen=True)
class Progress:
    created: int
    enabled: int
    failed: int
    waiting: int  # pending on the platform's side: being created, or the domain not ready
    syncing: int  # marked for a job that has not finished
    confirmations_sent: int
    confirmations_owed: int  # created, with a confirmation that has not left yet

    @property
    def busy(self) -> bool:
        """Something moves still: the page keeps polling."""
        return bool(self.syncing or self.confirmations_owed)


def progress(bulk: BulkImport) -> Progress:
    if bulk.kind == "mailboxes":
        model, link, sent, owed = Mailbox, ImportRow.mailbox_id, _sent(), _owed()
    else:
        model, link, sent, owed = Alias, ImportRow.alias_id, sa.false(), sa.false()
    row = db.session.execute(
        sa.select(
            sa.func.count(model.id),
            _count(model.status == "enabled"),
            _count(model.status == "failed"),
            _count(model.status == "pending"),
            _count(model.sync_requested_at.is_not(None)),
            _count(sent),
            _count(owed),
        )
        .select_from(ImportRow)
        .join(model, model.id == link)
        .where(ImportRow.import_id == bulk.id)
    ).one()
    return Progress(*(value or 0 for value in row))


def _count(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _sent():
    return Mailbox.confirmation_sent_at.is_not(None)


def _owed():
    return sa.and_(
        Mailbox.dimail_created_at.is_not(None),
        Mailbox.secondary_email.is_not(None),
        Mailbox.confirmation_sent_at.is_(None),
        Mailbox.email_error.is_(None),
        Mailbox.email_given_up_at.is_(None),
    )


RESULT_COLUMNS = ("line", "status", "reason")


def result_rows(bulk: BulkImport):
    """The result file's rows, streamed: the file's columns, then its line, its final status
    (created rows: their mailbox's or alias's status now) and why."""
    columns = list(COLUMNS[bulk.kind])
    yield [*columns, *RESULT_COLUMNS]
    model, link = (Mailbox, ImportRow.mailbox_id) if bulk.kind == "mailboxes" else (
        Alias, ImportRow.alias_id)  # fmt: skip
    stmt = (
        sa.select(ImportRow.line, ImportRow.cells, ImportRow.outcome, ImportRow.errors,
                  model.status, model.last_error)
        .outerjoin(model, model.id == link)
        .where(ImportRow.import_id == bulk.id)
        .order_by(ImportRow.line)
        .execution_options(yield_per=1000)
    )  # fmt: skip
    for line, cells, outcome, errors, status, last_error in db.session.execute(stmt):
        yield [*(cells.get(c, "") for c in columns), line,
               _status(outcome, status), _reason(errors, last_error)]  # fmt: skip


def _status(outcome: str, status: str | None) -> str:
    if outcome == RowOutcome.CREATED:
        return status or "removed"  # removed since
    return {RowOutcome.EXISTS: "skipped", RowOutcome.ERROR: "refused"}.get(outcome, outcome)


def _reason(errors: dict, last_error) -> str:
    reasons = [message for message in (errors or {}).values() if message]
    if last_error is not None:
        reasons.append(str(last_error))
    return "; ".join(reasons)

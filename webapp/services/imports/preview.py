"""A file read and judged, kept as a preview: nothing is created until it is confirmed."""

from collections import Counter

from flask import current_app

from webapp import spreadsheets
from webapp.extensions import db
from webapp.models import BulkImport, Domain, ImportRow
from webapp.models.bulk_import import new_expiry
from webapp.services.imports.columns import COLUMNS, REQUIRED
from webapp.services.imports.judge import JUDGES, Verdict
from webapp.services.results import Result
from webapp.validators import InvalidValue

MAX_FILE_NAME = 255


def judge_file(domain: Domain, kind: str, data: bytes, file_name: str) -> list[Verdict]:
    """Every row's verdict; raises InvalidValue for a file that cannot be read as a table."""
    sheet = spreadsheets.read(
        data, file_name, COLUMNS[kind], REQUIRED[kind], current_app.config["IMPORT_MAX_ROWS"]
    )
    return JUDGES[kind](domain, sheet.rows)


def counts(verdicts: list[Verdict]) -> dict[str, int]:
    return dict(Counter(verdict.outcome for verdict in verdicts))


def preview(domain: Domain, kind: str, data: bytes, file_name: str, user=None) -> Result:
    """Judge the file and keep the verdicts (value: the BulkImport), or the file's error."""
    try:
        verdicts = judge_file(domain, kind, data, file_name)
    except InvalidValue as exc:
        return Result.failure(file=str(exc))
    bulk = BulkImport(
        domain_id=domain.id,
        kind=kind,
        file_name=(file_name or "")[:MAX_FILE_NAME],
        created_by_id=getattr(user, "id", None),
        expires_at=new_expiry(),
        counts=counts(verdicts),
    )
    db.session.add(bulk)
    db.session.flush()
    if verdicts:
        db.session.execute(
            db.insert(ImportRow),
            [
                {"import_id": bulk.id, "line": v.line, "cells": v.cells, "outcome": v.outcome,
                 "errors": v.errors}
                for v in verdicts
            ],
        )  # fmt: skip
    db.session.commit()
    return Result.success(bulk)


def find(domain: Domain, import_id: int) -> BulkImport | None:
    bulk = db.session.get(BulkImport, import_id)
    return bulk if bulk is not None and bulk.domain_id == domain.id else None


def rows(bulk: BulkImport, outcomes: tuple[str, ...] | None = None, limit: int | None = None):
    stmt = db.select(ImportRow).where(ImportRow.import_id == bulk.id)
    if outcomes:
        stmt = stmt.where(ImportRow.outcome.in_(outcomes))
    return db.session.scalars(stmt.order_by(ImportRow.line).limit(limit))

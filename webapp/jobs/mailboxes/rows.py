"""Writing a sync's outcome on a mailbox row, only if nobody edited the row meanwhile.

The services move the row's mark (`sync_requested_at`) with every change; an outcome is written
only while the mark is still the one the run started from. Plain UPDATEs on the session's
connection (same transaction), outside the ORM: the loaded object is not touched.
"""

import functools

from webapp.extensions import db
from webapp.models import Mailbox


def record_outcome(mailbox: Mailbox, marked, facts: dict, **outcome) -> bool:
    """Write `facts` and `outcome` if the row's mark is still `marked`, and commit; True then.

    Otherwise the row was edited meanwhile: only dimail's facts are written (names pushed by
    this run count as not pushed, the new ones may differ) and False is returned."""
    connection = db.session.connection()
    values = {**facts, **outcome}
    mark = "unset" if marked is None else "equal"
    written = connection.execute(
        _update(tuple(values), mark), _params(mailbox.id, values, old_mark=marked)
    ).rowcount
    if not written:
        kept = {k: facts[k] for k in ("dimail_created_at", "dimail_enabled") if k in facts}
        if "names_synced" in facts:
            kept["names_synced"] = False
        if kept:
            connection.execute(_update(tuple(kept), "any"), _params(mailbox.id, kept))
    db.session.commit()
    return bool(written)


@functools.cache
def _update(columns: tuple[str, ...], mark: str):
    """UPDATE mailboxes SET `columns` WHERE id = :row_id, and the mark is unset, equal to
    :old_mark, or any: built once per shape, since building a statement costs more than
    running it, and a batch writes the same shape for every mailbox."""
    table = Mailbox.__table__
    stmt = db.update(table).where(table.c.id == db.bindparam("row_id"))
    if mark == "unset":
        stmt = stmt.where(table.c.sync_requested_at.is_(None))
    elif mark == "equal":
        old = db.bindparam("old_mark", type_=table.c.sync_requested_at.type)
        stmt = stmt.where(table.c.sync_requested_at == old)
    return stmt.values(
        {name: db.bindparam(f"new_{name}", type_=table.c[name].type) for name in columns}
    )


def _params(row_id: int, values: dict, **extra) -> dict:
    return {"row_id": row_id, **extra, **{f"new_{name}": v for name, v in values.items()}}

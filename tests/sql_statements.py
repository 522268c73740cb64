"""The SQL statements sent to the database while a block runs, for tests that count or read
them (a page's queries at any size, a job's reads)."""

import contextlib

import sqlalchemy as sa

from webapp.extensions import db


@contextlib.contextmanager
def recorded():
    """Yields a list that receives each statement's text as the driver is given it."""
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)

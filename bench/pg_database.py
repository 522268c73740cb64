"""A PostgreSQL database of the bench's own: created on the server `--database` names, migrated
by the real migrations, filled with COPY, dropped at the end (also when the bench fails).

The name must start with "bench", so that a slip can never drop or fill the tests' `test`
database or anyone's data: `--database postgresql://postgres@127.0.0.1:5432/bench_scale`.
"""

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

_DROP = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def split_url(url: str) -> tuple[str, str]:
    """(the bench database's name, the libpq address of the server's `postgres` database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"--database must be a postgresql:// URL, not {parsed.drivername}://")
    name = parsed.database or ""
    if not name.startswith("bench"):
        raise SystemExit(
            f"--database names {name!r}: the bench creates and drops its database, so its name "
            "must start with 'bench' (never the tests' 'test')"
        )
    server = parsed.set(drivername="postgresql", database="postgres")
    return name, server.render_as_string(hide_password=False)


@contextlib.contextmanager
def bench_database(url: str) -> Iterator[str]:
    """CREATE DATABASE, yield the URL, DROP DATABASE whatever happened."""
    name, server = split_url(url)
    with psycopg.connect(server, autocommit=True) as conn:
        # A database of this name is a leftover of an interrupted run of this bench.
        conn.execute(_DROP.format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(_DROP.format(sql.Identifier(name)))


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def migrate(app) -> float:
    """flask db upgrade on the bench database; returns its duration."""
    from flask_migrate import upgrade

    started = time.perf_counter()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
    return time.perf_counter() - started


def copy_rows(conn: psycopg.Connection, table: str, columns: tuple[str, ...],
              rows: Iterable[tuple]) -> int:  # fmt: skip
    """COPY rows into a table; returns how many."""
    count = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def server_description(url: str) -> str:
    """The server's version and the settings that weigh on the plans, in one sentence."""
    names = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit")
    with psycopg.connect(libpq(url)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        show = sql.SQL("SHOW {}")
        settings = [
            f"{n} {conn.execute(show.format(sql.Identifier(n))).fetchone()[0]}" for n in names
        ]
    return f"PostgreSQL {version} on the same machine ({', '.join(settings)})"


def vacuum_analyze(url: str) -> float:
    """What autovacuum would do soon after a bulk load: the visibility map (index-only scans)
    and the planner's statistics. Returns its duration."""
    started = time.perf_counter()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def explain(conn: psycopg.Connection, statement: str, parameters) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement as the application sent it."""
    with conn.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())

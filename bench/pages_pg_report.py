"""bench/pages.py --database's report: the table of each list page at 100 and at 100,000
mailboxes, written to the "pages-postgresql" section of bench/RESULTS.md, and the EXPLAIN of
each page's slowest query to bench/explain-postgresql.md."""

from pathlib import Path

from pages_config import QUERY_COUNT_REPEAT, ROUNDS, WARM_UP
from pages_pg import SCALE_LOAD, SCALE_REQUESTS
from pages_scale import BIG_MAILBOXES, DOMAINS, MAILBOXES, SMALL_MAILBOXES, pairs
from report import machine, write_section

EXPLAIN = Path(__file__).resolve().parent / "explain-postgresql.md"
RATIO_GOAL, HEALTHZ_GOAL = 1.2, 2.5
COMMAND = (
    ".venv/bin/python bench/pages.py --database postgresql://postgres@127.0.0.1:5432/bench_scale"
)


def _queries(found: set[int]) -> str:
    if len(found) == 1:
        return str(next(iter(found)))
    return "varies " + "/".join(map(str, sorted(found)))


def table(measured: dict) -> tuple[str, list[str]]:
    """The table, and the pages that miss a goal."""
    stats = dict(measured["results"][SCALE_LOAD[0]])
    health = stats["/healthz"]["p50"]
    queries = measured["queries"]
    plans = measured["plans"]
    lines = [
        f"| page | p50 at {SMALL_MAILBOXES} (ms) | p50 at {BIG_MAILBOXES:,} (ms) | ratio | "
        f"× healthz | p99 at {BIG_MAILBOXES:,} (ms) | SQL queries at {SMALL_MAILBOXES} | "
        f"at {BIG_MAILBOXES:,} | SQL execution at {SMALL_MAILBOXES} (ms) | at {BIG_MAILBOXES:,} "
        "| goals met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| /healthz | | {health:.1f} | | 1.0 | {stats['/healthz']['p99']:.1f} | | "
        f"{_queries(queries['/healthz'])} | | {plans['/healthz']['database_ms']:.2f} | |",
    ]
    missed = []
    for big, small in pairs():
        b, s = stats[big], stats[small]
        ratio, times = b["p50"] / s["p50"], b["p50"] / health
        same = queries[big] == queries[small]
        ok = ratio <= RATIO_GOAL and times <= HEALTHZ_GOAL and same
        if not ok:
            missed.append(big)
        name = big.rsplit(" [", 1)[0]
        lines.append(
            f"| {name} | {s['p50']:.1f} | {b['p50']:.1f} | {ratio:.2f} | {times:.2f} | "
            f"{b['p99']:.1f} | {_queries(queries[small])} | {_queries(queries[big])} | "
            f"{plans[small]['database_ms']:.2f} | {plans[big]['database_ms']:.2f} | "
            f"{'yes' if ok else 'no'} |"
        )
    return "\n".join(lines), missed


def write_explain(measured: dict) -> Path:
    parts = [
        "# EXPLAIN (ANALYZE, BUFFERS) of each page's slowest query, on PostgreSQL\n",
        f'Written by `{COMMAND}` (see the "pages-postgresql" section of RESULTS.md): every '
        "statement of each page's last in-process request, as the application sent it, run "
        "again under EXPLAIN (ANALYZE, BUFFERS) with its parameters; shown here, the one whose "
        "execution took longest.\n",
    ]
    for label, plan in measured["plans"].items():
        ms, statement, text = plan["slowest"]
        parts.append(f"## {label}\n\nAll its statements: {plan['database_ms']:.2f} ms of "
                     f"execution; this one {ms:.2f} ms.\n\n```sql\n{statement.strip()}\n"
                     f"```\n\n```\n{text}\n```\n")  # fmt: skip
    EXPLAIN.write_text("\n".join(parts))
    return EXPLAIN


def print_and_write(measured: dict, load_before) -> Path:
    text, missed = table(measured)
    t = measured["timings"]
    setup = (
        f"{MAILBOXES:,} mailboxes over {DOMAINS:,} domains; the page at {BIG_MAILBOXES:,} is "
        f"the owner of every domain looking at the domain of {BIG_MAILBOXES:,} mailboxes "
        f"(10,000 aliases of 2 destinations, {BIG_MAILBOXES:,} audit entries); the page at "
        f"{SMALL_MAILBOXES} is, in the same database and run, the owner of 50 domains holding "
        f"{SMALL_MAILBOXES} mailboxes looking at the domain of {SMALL_MAILBOXES} (50 aliases, "
        f"{SMALL_MAILBOXES} audit entries). {SCALE_REQUESTS} requests per page from "
        f"{SCALE_LOAD[0]} client threads (one per gunicorn worker), after {WARM_UP} warm-up "
        f"requests, in {ROUNDS} rounds where the pages take turns; SQL queries counted in "
        f"process ({QUERY_COUNT_REPEAT} requests per page). Migrations {t['migrations']:.1f} s, "
        f"seeding by COPY {t['seed']:.1f} s, VACUUM ANALYZE {t['vacuum']:.1f} s."
    )
    verdict = (
        "Every list page meets both goals (p50 ≤ 1.2× the page at 100, ≤ 2.5× /healthz) with "
        "the same number of SQL queries."
        if not missed
        else "Pages missing a goal: " + ", ".join(m.rsplit(" [", 1)[0] for m in missed) + "."
    )
    explained = write_explain(measured)
    shared = "gunicorn runs 2 sync workers; the client threads and PostgreSQL share its CPUs."
    body = (
        "## Pages at organisation scale on PostgreSQL\n\n"
        f"Produced by `{COMMAND}`; the EXPLAIN of each page's slowest query is in "
        f"[{explained.name}]({explained.name}).\n\n{text}\n\n{verdict}\n\n{setup}\n\n"
        f"{machine(load_before, shared, measured['server'])}\n"
    )
    print(f"\n{text}\n\n{verdict}\n{setup}")
    return write_section("pages-postgresql", body)

"""bench/pages.py's report: the table and the sentences around it, printed and written to the
"pages" section of bench/RESULTS.md."""

from pathlib import Path

from pages_config import (
    BIG_MAILBOXES,
    DOMAINS,
    LOADS,
    QUERY_COUNT_REPEAT,
    REQUESTS,
    ROUNDS,
    SMALL_MAILBOXES,
    WARM_UP,
    pages,
)
from pages_server import MemorySampler
from report import machine
from report import write_section as report_section


def table(results: dict[int, list[tuple]], queries: dict[str, set[int]]) -> str:
    head = "| page | SQL queries |"
    rule = "| --- | ---: |"
    for threads in LOADS:
        head += (f" req/s, {threads} clients | p50 ms | p99 ms "
                 f"| p50 / healthz p50, {threads} clients |")  # fmt: skip
        rule += " ---: | ---: | ---: | ---: |"
    lines = [head, rule]
    for index, (label, *_) in enumerate(pages()):
        q = queries[label]
        shown = str(next(iter(q))) if len(q) == 1 else "varies " + "/".join(map(str, sorted(q)))
        line = f"| {label} | {shown} |"
        for threads in LOADS:
            health = results[threads][0][1]["p50"]
            r = results[threads][index][1]
            short = " (time limit)" if r["cut_short"] else ""
            line += (f" {r['rps']:.0f}{short} | {r['p50']:.1f} | {r['p99']:.1f} "
                     f"| {r['p50'] / health:.1f} |")  # fmt: skip
        lines.append(line)
    return "\n".join(lines)


def notes(queries: dict[str, set[int]], sampler: MemorySampler) -> list[str]:
    """The peak memory, whether the big list runs as many queries as the small one, the set-up."""
    same = queries[pages()[2][0]] == queries[pages()[5][0]]
    memory = (
        f"Peak memory of the web process (gunicorn master + {sampler.peak_processes - 1} "
        f"workers, {sampler.samples} samples): RSS sum {sampler.peak_rss / 2**20:.1f} MiB; "
        f"PSS sum {sampler.peak_pss / 2**20:.1f} MiB (shared pages counted once)."
    )
    summary = (
        f"The mailbox list runs the same number of SQL queries at {BIG_MAILBOXES:,} mailboxes as "
        f"at {SMALL_MAILBOXES}: {'yes' if same else 'NO'}."
    )
    setup = (
        f"{REQUESTS} requests per page and load, from {LOADS[0]} client threads at once (one per "
        f"gunicorn worker: the time a request takes) and from {LOADS[1]} (twice as many: the "
        "server saturated, so that a request also waits for the one before it), after "
        f"{WARM_UP} warm-up requests, in {ROUNDS} rounds where pages and loads take turns, "
        "logged in as the owner of "
        f"{DOMAINS} domains; SQL queries counted in process ({QUERY_COUNT_REPEAT} requests per "
        "page)."
    )
    return [memory, summary, setup]


def print_and_write(results, queries, sampler: MemorySampler, load_before) -> Path:
    """Print the table and its notes, write them to RESULTS.md; returns where."""
    text = table(results, queries)
    memory, summary, setup = notes(queries, sampler)
    print()
    print(text)
    print()
    print(memory)
    print(summary)
    print(setup)
    shared = (
        "gunicorn runs 2 sync workers; the client threads run on the same machine and share its "
        "CPUs with the server."
    )
    return report_section(
        "pages",
        "## Pages under gunicorn\n\n"
        "Produced by `.venv/bin/python bench/pages.py`.\n\n"
        f"{text}\n\n{memory}\n\n{summary}\n\n{setup}\n\n{machine(load_before, shared)}\n",
    )

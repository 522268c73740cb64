"""Where the benchmarks write: one section each in bench/RESULTS.md, with the machine described.

Each script replaces only its own section (between its markers), so running one benchmark
leaves the other's last results in place.
"""

import contextlib
import os
import platform
import sqlite3
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

INTRO = """# Benchmark results

Each section below is written by the script it names, from one run of that script: every number
in a table was measured side by side in that run, so that the machine's noise falls on all of
them alike. Run them again with the commands given; each replaces only its own section.
"""


def machine(load_before: tuple[float, float, float], shared_with: str, database: str = "") -> str:
    """The machine, in a sentence or two, and how busy it was while the script ran."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.1f} GiB of memory"
    return (
        f"Machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs (nproc "
        f"{len(os.sched_getaffinity(0))}, {model}){memory}, Python {platform.python_version()}, "
        f"{database or _sqlite()}. "
        f"{shared_with} Load average (1 min) {load_before[0]:.2f} at the start and "
        f"{os.getloadavg()[0]:.2f} at the end: anything above the bench's own load is other work "
        "on the machine, which slows the numbers above."
    )


def _sqlite() -> str:
    return f"SQLite {sqlite3.sqlite_version} (the library Python's sqlite3 module uses)"


def write_section(name: str, text: str) -> Path:
    """Put `text` in the section `name` of RESULTS.md (created, or replaced in place)."""
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = RESULTS.read_text() if RESULTS.exists() else INTRO
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        tail = rest.split(end, 1)[1]
        updated = head + block + tail
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(updated)
    return RESULTS

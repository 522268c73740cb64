"""Imports from a spreadsheet: read and judged into a preview (preview), confirmed into
mailboxes or aliases (confirm), followed as the jobs create them (progress)."""

from webapp.services.imports.columns import COLUMNS, REQUIRED
from webapp.services.imports.confirm import confirm
from webapp.services.imports.preview import counts, find, judge_file, preview, rows
from webapp.services.imports.progress import Progress, progress, result_rows

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "Progress",
    "confirm",
    "counts",
    "find",
    "judge_file",
    "preview",
    "progress",
    "result_rows",
    "rows",
]

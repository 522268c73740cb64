"""Reading the spreadsheets people import, as they really have them.

A CSV file in UTF-8 (with or without the BOM Excel writes) or in Windows-1252 (what Excel
writes in French), separated by `,`, `;` or tabs, with headers in English or French in any
case and with or without accents; or an `.xlsx` workbook (its first sheet). Whatever the file
holds, the answer is rows or an `InvalidValue` with a message for the person, never a crash.
"""

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from webapp import text
from webapp.validators import InvalidValue

# A cell longer than any value a rule accepts is cut here: it is refused anyway, and the
# preview keeps the file's cells.
MAX_CELL = 1000
_XLSX_MAGIC = b"PK\x03\x04"
_OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Sheet:
    # The columns found, by their names in `columns` (in the order of the file).
    columns: list[str]
    # (line, cells by column name): lines are numbered as a spreadsheet shows them, the
    # header being line 1; empty lines are left out.
    rows: list[tuple[int, dict[str, str]]]


def header_key(name: str) -> str:
    """A header as compared: "Prénom", "PRENOM" and "prénom " are one; so are "first_name"
    and "First name"."""
    return text.sort_key(str(name or ""))


def read(
    data: bytes, file_name: str, columns: dict[str, tuple[str, ...]], required: tuple[str, ...],
    max_rows: int,
) -> Sheet:  # fmt: skip
    """The rows of the file, by column. `columns` maps each column's name to the other headers
    it is known by; the `required` ones must be there. Other columns are ignored."""
    if not data.strip():
        raise InvalidValue(_("The file is empty."))
    if data.startswith(_OLD_EXCEL_MAGIC) or file_name.lower().endswith(".xls"):
        raise InvalidValue(_("Old Excel files (.xls) cannot be read: save it as .xlsx or CSV."))
    if data.startswith(_XLSX_MAGIC) or file_name.lower().endswith(".xlsx"):
        records = _xlsx_records(data)
    else:
        records = _csv_records(_decoded(data))
    return _sheet(records, columns, required, max_rows)


def _decoded(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return _or_refuse(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _or_refuse(data, "utf-16")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = _or_refuse(data, "cp1252")  # what Excel writes in French
    if "\x00" in decoded:
        raise InvalidValue(_not_a_table())
    return decoded


def _or_refuse(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidValue(_not_a_table()) from exc


def _not_a_table() -> str:
    return _(
        "This file is neither a CSV file nor an .xlsx workbook: export it from your "
        "spreadsheet as one of them."
    )


def _csv_records(content: str):
    first_line = content.lstrip("\r\n").split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = max(",;\t", key=first_line.count)  # one column: nothing to sniff
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise InvalidValue(
            _("Line %(line)d of the file cannot be read as CSV (%(why)s).",
              line=reader.line_num, why=exc)
        ) from exc  # fmt: skip


def _xlsx_records(data: bytes):
    from openpyxl import load_workbook  # only when a workbook comes: it takes a while to load

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InvalidValue(
            _("This .xlsx file cannot be read: open it and save it again, or export it as CSV.")
        ) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 12 rather than 12.0: a spreadsheet shows it so
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _sheet(records, columns: dict, required: tuple[str, ...], max_rows: int) -> Sheet:
    known = {header_key(h): name for name, headers in columns.items() for h in (name, *headers)}
    position = 0
    found: dict[int, str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for record in records:
        position += 1
        cells = [str(cell).strip()[:MAX_CELL] for cell in record]
        if not any(cells):
            continue  # empty lines, at the end or between rows
        if found is None:
            found = {i: known[header_key(c)] for i, c in enumerate(cells) if header_key(c) in known}
            _check_header(found, columns, required, cells)
            continue
        if len(rows) >= max_rows:
            raise InvalidValue(
                _("The file has more than %(n)s rows: split it into files of at most %(n)s rows.",
                  n=max_rows)
            )  # fmt: skip
        rows.append((position, {name: _at(cells, i) for i, name in found.items()}))
    if found is None:
        raise InvalidValue(_("The file is empty."))
    return Sheet(columns=list(dict.fromkeys(found.values())), rows=rows)


def _at(cells: list[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


def _check_header(found: dict[int, str], columns: dict, required: tuple, cells: list) -> None:
    names = set(found.values())
    missing = [name for name in required if name not in names]
    if not names:
        raise InvalidValue(
            _("The first line must name the columns: %(columns)s (found: %(found)s).",
              columns=", ".join(columns), found=", ".join(c for c in cells if c)[:200])
        )  # fmt: skip
    if missing:
        raise InvalidValue(
            _("Missing column: %(columns)s. The first line must name the columns %(all)s.",
              columns=", ".join(missing), all=", ".join(columns))
        )  # fmt: skip


# What a spreadsheet runs as a formula when a cell starts with it (the tab and carriage return
# too: some spreadsheets strip them and read on); such a cell is written after a quote, which
# the spreadsheet shows as text. CSV injection, OWASP's name for it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value) -> str:
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


class _Line:
    """A file-like object that keeps the last line csv.writer wrote."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def csv_lines(rows):
    """CSV text, one line at a time (for a streamed response), formulas neutralised. The
    first chunk starts with the UTF-8 BOM, so that Excel reads the accents right."""
    line = _Line()
    writer = csv.writer(line)
    yield "\ufeff"
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
        yield line.text

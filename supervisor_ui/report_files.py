"""Downloads: the export endpoint's files, cut to what the page shows (pure).

The export endpoint has no call-center or agent filter, and it knows 24-hour days only, so a
download may join several export files (one per request of the shown report, see
`report_periods.queries_of`) and keep the rows of the shown call center or agent. The columns
stay the API's, in its order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, assert_never

from openpyxl import Workbook, load_workbook

from supervisor_ui.reports_api import ExportFormat

MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]


def read(export_format: ExportFormat, body: bytes) -> Table:
    """An export file's header and rows (CSV cells are text, XLSX cells typed)."""
    lines: list[list[Any]]
    match export_format:
        case ExportFormat.CSV:
            lines = [line for line in csv.reader(io.StringIO(body.decode("utf-8"))) if line]
        case ExportFormat.XLSX:
            book = load_workbook(io.BytesIO(body), read_only=True)
            try:
                lines = [list(line) for line in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
        case unknown:
            assert_never(unknown)
    if not lines:
        return Table((), ())
    columns = tuple(str(name) for name in lines[0])
    return Table(columns, tuple(dict(zip(columns, line, strict=False)) for line in lines[1:]))


def joined(tables: Iterable[Table], keep: Mapping[str, str]) -> Table:
    """The tables one after the other, only rows whose `keep` columns hold those values."""
    columns: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for table in tables:
        columns.update(dict.fromkeys(table.columns))
        rows += [r for r in table.rows if all(str(r.get(k)) == v for k, v in keep.items())]
    return Table(tuple(columns), tuple(rows))


def write(export_format: ExportFormat, table: Table, sheet: str) -> bytes:
    """The table as a file of the format; an empty cell where a row lacks a column."""
    match export_format:
        case ExportFormat.CSV:
            return _csv(table)
        case ExportFormat.XLSX:
            return _xlsx(table, sheet)
        case unknown:
            assert_never(unknown)


def _csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(
        ["" if row.get(c) is None else row[c] for c in table.columns] for row in table.rows
    )
    return buffer.getvalue().encode("utf-8")


def _xlsx(table: Table, sheet: str) -> bytes:
    book = Workbook(write_only=True)
    # Excel limits sheet titles to 31 characters.
    out = book.create_sheet(title=sheet[:31])
    out.append(table.columns)
    for row in table.rows:
        out.append([row.get(c) for c in table.columns])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()

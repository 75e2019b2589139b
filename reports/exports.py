"""Report exports: CSV text and XLSX workbooks (openpyxl) from export-ready rows.

Rows are mappings of column name to a plain value (the `as_row()` of the figures in
`reports.service`, or `call_detail_records`). Columns follow the first appearance of each key, so
rows with optional columns (per-state agent times) still line up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from openpyxl import Workbook


class ExportableFigures(Protocol):
    def as_row(self) -> dict[str, Any]: ...


def rows_of(figures: Iterable[ExportableFigures]) -> list[dict[str, Any]]:
    """Export-ready rows of report figures."""
    return [figure.as_row() for figure in figures]


def columns_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV text with a header line; missing values are empty cells."""
    columns = list(columns) if columns is not None else columns_of(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: "" if row.get(name) is None else row.get(name) for name in columns})
    return buffer.getvalue()


def to_xlsx(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> bytes:
    """An XLSX workbook with one sheet per entry (sheet name -> rows), header row first."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        # Excel limits sheet titles to 31 characters.
        sheet = workbook.create_sheet(title=title[:31])
        columns = columns_of(rows)
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(name) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

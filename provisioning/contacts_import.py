"""Uploaded contacts, parsed: vCard 3.0 / 4.0 (RFC 2426 / RFC 6350) or CSV with a header row.

No vCard library is on the approved list (only `vobject`'s type stubs), so this is a strict small
parser for the properties a phone directory needs (FN, N, ORG, TEL, EMAIL, NOTE); anything it
does not understand (vCard 2.1, quoted-printable, an unterminated card) is a bad row, never a
guess. Every bad row is reported (`RowError`), with its row number: the card's number for vCard,
the line number for CSV; the caller imports nothing unless the report is clean.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

from provisioning.contacts import ContactSpec, validated
from provisioning.errors import Invalid

MAX_UPLOAD_BYTES = 1_000_000
MAX_ROWS = 5_000


class ImportFormat(StrEnum):
    VCARD = "vcard"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedImport:
    format: ImportFormat
    contacts: list[ContactSpec] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def parse_upload(data: bytes, fmt: ImportFormat) -> ParsedImport:
    """Every contact of the upload, validated, or the report of every bad row."""
    if len(data) > MAX_UPLOAD_BYTES:
        return ParsedImport(
            fmt, errors=[RowError(0, "file", f"larger than {MAX_UPLOAD_BYTES} bytes")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return ParsedImport(fmt, errors=[RowError(0, "file", f"not UTF-8 (byte {error.start})")])
    match fmt:
        case ImportFormat.VCARD:
            rows, errors, ignored = _vcard_rows(text)
        case ImportFormat.CSV:
            rows, errors, ignored = _csv_rows(text)
        case _:
            assert_never(fmt)
    if len(rows) + len(errors) > MAX_ROWS:
        return ParsedImport(fmt, errors=[RowError(0, "file", f"more than {MAX_ROWS} contacts")])
    contacts: list[ContactSpec] = []
    for row, spec in rows:
        try:
            contacts.append(validated(spec))
        except Invalid as error:
            errors.append(RowError(row, error.field, error.reason))
    if not rows and not errors:
        errors.append(RowError(0, "file", "no contacts in the file"))
    errors.sort(key=lambda e: e.row)
    return ParsedImport(fmt, contacts, errors, ignored)


Rows = list[tuple[int, ContactSpec]]

# vCard -------------------------------------------------------------------------------------------

_CONTENT_LINE = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)$")


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _components(value: str) -> list[str]:
    """A structured value (N, ORG) split at its unescaped semicolons."""
    return [_unescape(part) for part in re.split(r"(?<!\\);", value)]


def _unfolded(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + line[1:])
        elif line.strip():
            lines.append((number, line))
    return lines


class _Card:
    def __init__(self) -> None:
        self.version = ""
        self.fn = ""
        self.n = ""
        self.org = ""
        self.tels: list[str] = []
        self.email = ""
        self.note = ""
        self.problem: tuple[str, str] | None = None

    def add(self, name: str, params: str, value: str) -> None:
        if "QUOTED-PRINTABLE" in params.upper() or "ENCODING=B" in params.upper():
            self.problem = (name.lower(), "encoded values (vCard 2.1) are not supported")
            return
        match name:
            case "VERSION":
                self.version = value.strip()
            case "FN":
                self.fn = _unescape(value)
            case "N":
                family, given, *_ = [*_components(value), "", ""]
                self.n = f"{given} {family}".strip()
            case "ORG":
                self.org = _components(value)[0]
            case "TEL":
                tel = _unescape(value).strip()
                self.tels.append(tel[4:] if tel.lower().startswith("tel:") else tel)
            case "EMAIL":
                self.email = self.email or _unescape(value).strip()
            case "NOTE":
                self.note = _unescape(value)
            case _:
                pass  # PHOTO, ADR, UID...: not part of a phone directory

    def spec(self) -> ContactSpec:
        if self.problem is not None:
            raise Invalid(*self.problem)
        if self.version not in ("3.0", "4.0"):
            raise Invalid("version", f"vCard {self.version or '(none)'}: only 3.0 and 4.0")
        return ContactSpec(self.fn or self.n, tuple(self.tels), self.org, self.email, self.note)


def _vcard_rows(text: str) -> tuple[Rows, list[RowError], list[str]]:
    rows: Rows = []
    errors: list[RowError] = []
    card: _Card | None = None
    count = 0
    for line_number, line in _unfolded(text):
        match = _CONTENT_LINE.match(line)
        if match is None:
            errors.append(
                RowError(
                    count if card else count + 1, "line", f"line {line_number} is no vCard property"
                )
            )
            continue
        name, params, value = match.group(1).upper(), match.group(2), match.group(3)
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            if card is not None:
                errors.append(RowError(count, "card", f"line {line_number}: BEGIN inside a card"))
            count += 1
            card = _Card()
        elif name == "END" and value.strip().upper() == "VCARD":
            if card is None:
                errors.append(RowError(count, "card", f"line {line_number}: END without BEGIN"))
                continue
            try:
                rows.append((count, card.spec()))
            except Invalid as error:
                errors.append(RowError(count, error.field, error.reason))
            card = None
        elif card is None:
            errors.append(RowError(count + 1, "card", f"line {line_number}: outside BEGIN:VCARD"))
        else:
            card.add(name, params, value)
    if card is not None:
        errors.append(RowError(count, "card", "the last card has no END:VCARD"))
    return rows, errors, []


# CSV ---------------------------------------------------------------------------------------------

_NUMBER_COLUMNS = re.compile(r"^(phone|number|tel|telephone|mobile|work|home|numbers?)(\b.*)?$")
_TEXT_COLUMNS = ("name", "company", "email", "note")


def _csv_rows(text: str) -> tuple[Rows, list[RowError], list[str]]:
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    if "name" not in header:
        return [], [RowError(1, "header", "the first line must name the columns, with `name`")], []
    number_columns = [i for i, h in enumerate(header) if _NUMBER_COLUMNS.match(h)]
    if not number_columns:
        return [], [RowError(1, "header", "no phone column (phone, mobile, work, number...)")], []
    known = {i for i, h in enumerate(header) if h in _TEXT_COLUMNS} | set(number_columns)
    ignored = [h for i, h in enumerate(header) if i not in known]
    rows: Rows = []
    errors: list[RowError] = []
    try:
        for cells in reader:
            row = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                errors.append(
                    RowError(row, "row", f"{len(cells)} cells, the header has {len(header)}")
                )
                continue
            values = dict(zip(header, cells, strict=False))
            numbers = [
                n.strip()
                for i in number_columns
                if i < len(cells)
                for n in cells[i].split("|")
                if n.strip()
            ]
            rows.append((row, ContactSpec(
                values.get("name", ""), tuple(numbers), values.get("company", ""),
                values.get("email", ""), values.get("note", ""),
            )))  # fmt: skip
    except csv.Error as error:
        errors.append(RowError(reader.line_num, "row", str(error)))
    return rows, errors, ignored

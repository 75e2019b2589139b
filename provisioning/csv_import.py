"""CSV bulk import of users, as pure parsing and checking: every bad row, with its line number,
field and reason, before anything is written.

Columns (header line required, order free): `username, name, extension, sip_password, profile`
required; `password, roles, call_center, supervisor, receptionist, recording, language`
optional. `roles` separates roles with `;` (default `agent`); `supervisor` is `yes`/`no`;
`call_center` and `receptionist` are a tier or empty, `recording` a mode or empty. A row without
`password` gets no web sign-in until an admin sets one (web passwords are hashed with scrypt at
about a tenth of a second each, the price of making stolen hashes useless).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from provisioning.errors import Invalid
from provisioning.profiles import Profile
from provisioning.users import Licences, RecordingMode, Tier, UserRole, UserSpec, validate_user

REQUIRED = ("username", "name", "extension", "sip_password", "profile")
OPTIONAL = ("password", "roles", "call_center", "supervisor", "receptionist", "recording")
COLUMNS = frozenset((*REQUIRED, *OPTIONAL, "language"))
MAX_ROWS = 1000
MAX_FIELD = 256

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int
    spec: UserSpec


def _enum(kind: type[E], field: str, text: str) -> E:
    try:
        return kind(text)
    except ValueError:
        raise Invalid(field, f"one of {', '.join(m.value for m in kind)}") from None


def _optional(kind: type[E], field: str, text: str) -> E | None:
    return _enum(kind, field, text) if text else None


def _yes(field: str, text: str) -> bool:
    if text.lower() not in ("", "yes", "no", "true", "false", "1", "0"):
        raise Invalid(field, "yes or no")
    return text.lower() in ("yes", "true", "1")


def _spec(row: dict[str, str]) -> UserSpec:
    for name in REQUIRED:
        if not row.get(name):
            raise Invalid(name, "required")
    roles = row.get("roles") or "agent"
    spec = UserSpec(
        username=row["username"],
        name=row["name"],
        extension=row["extension"],
        password=row.get("password") or None,
        sip_password=row["sip_password"],
        profile=_enum(Profile, "profile", row["profile"]),
        roles=frozenset(_enum(UserRole, "roles", r.strip()) for r in roles.split(";")),
        licences=Licences(
            call_center=_optional(Tier, "call_center", row.get("call_center", "")),
            supervisor=_yes("supervisor", row.get("supervisor", "")),
            receptionist=_optional(Tier, "receptionist", row.get("receptionist", "")),
            recording=_optional(RecordingMode, "recording", row.get("recording", "")),
        ),
        language=row.get("language") or "nl",
    )
    validate_user(spec)
    return spec


def parse_users_csv(text: str) -> tuple[list[ParsedRow], list[RowError]]:
    """The rows that are valid on their own, and an error for each one that is not."""
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    header = reader.fieldnames or []
    unknown = sorted(set(header) - COLUMNS)
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        reason = f"unknown {unknown}" if unknown else f"missing {missing}" if missing else "twice"
        return [], [RowError(1, "header", f"columns: {reason}")]
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    for row in reader:
        line = reader.line_num
        if len(parsed) + len(errors) >= MAX_ROWS:
            return parsed, [*errors, RowError(line, "file", f"at most {MAX_ROWS} users at once")]
        values = {k: (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        if "\x00extra" in row or any(v is None for v in row.values()):
            errors.append(RowError(line, "row", f"has not {len(header)} fields"))
        elif too_long := next((k for k, v in values.items() if len(v) > MAX_FIELD), None):
            errors.append(RowError(line, too_long, f"longer than {MAX_FIELD} characters"))
        else:
            try:
                parsed.append(ParsedRow(line, _spec(values)))
            except Invalid as error:
                errors.append(RowError(line, error.field, error.reason))
    return parsed, errors


def _duplicates(
    rows: Iterable[ParsedRow], key: Callable[[UserSpec], str], taken: set[str], field: str
) -> list[RowError]:
    rows = list(rows)
    counts = Counter(key(r.spec) for r in rows)
    errors = []
    for row in rows:
        value = key(row.spec)
        if value in taken:
            errors.append(RowError(row.line, field, f"{value} is already in use"))
        elif counts[value] > 1:
            errors.append(RowError(row.line, field, f"{value} appears more than once in the file"))
    return errors


def cross_check(
    rows: list[ParsedRow], usernames_taken: set[str], numbers_taken: set[str]
) -> list[RowError]:
    """Rows that collide with each other or with what the platform and the tenant hold."""
    return [
        *_duplicates(rows, lambda s: s.username, usernames_taken, "username"),
        *_duplicates(rows, lambda s: s.extension, numbers_taken, "extension"),
    ]

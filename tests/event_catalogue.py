"""docs/events.md as data: the event types and `data` fields it documents, so tests can check that
everything the engine emits is declared (common.event_types.DATA_FIELDS) and documented."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from common.event_types import DATA_FIELDS
from queueing.events import DomainEvent

EVENTS_DOC = Path(__file__).resolve().parent.parent / "docs" / "events.md"
_ROW = re.compile(r"^\| (?P<types>`[A-Z_]+`(?:, `[A-Z_]+`)*) \| (?P<data>.*) \|$")
_NAME = re.compile(r"`([A-Za-z_]+)`")


@cache
def documented_fields() -> dict[str, frozenset[str]]:
    """Each documented event type -> the names written in code style in its `data` cell (the
    fields, and the values of enumerated fields: a field counts as documented when named)."""
    rows: dict[str, frozenset[str]] = {}
    for line in EVENTS_DOC.read_text().splitlines():
        if (row := _ROW.match(line)) is None:
            continue
        names = frozenset(_NAME.findall(row["data"]))
        for event_type in _NAME.findall(row["types"]):
            rows[event_type] = names
    return rows


def undeclared(events: Iterable[DomainEvent]) -> set[str]:
    """`TYPE.field` for each data field an event carries that DATA_FIELDS does not declare."""
    return {
        f"{event.type}.{name}"
        for event in events
        for name in event.data
        if name not in DATA_FIELDS[event.type]
    }

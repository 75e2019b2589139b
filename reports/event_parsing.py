"""Reading one stream entry into an event the fold can trust, or a reason why not.

The stream is written by other processes (the CTI layer today, the PBX layer for CALL_DETAIL), so
nothing about an entry is assumed: a bad entry becomes a `Rejection` with a human-readable reason,
never an exception that would stop the ingester.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.event_types import DATA_FIELDS, GROUP_CALL_EVENTS, RECORDED_ONLY_EVENTS


def _json_loads() -> Callable[[str | bytes], Any]:
    # orjson, when installed, parses the stream about four times faster; the stdlib is the fallback.
    try:
        loads: Callable[[str | bytes], Any] = importlib.import_module("orjson").loads
    except ImportError:
        return json.loads
    return loads


loads = _json_loads()
JSON_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError)

MAX_SEQUENCE = 2**63 - 1
"""The largest BIGINT, the column type of sequences."""

CALL_DETAIL = "CALL_DETAIL"
"""Record event for calls that never pass through a queue (docs/reports.md)."""

ENVELOPE_FIELDS = frozenset(
    {
        "type",
        "sequence",
        "timestamp",
        "tenant",
        "reason",
        "call_center_id",
        "call_id",
        "agent",
        "caller",
        "data",
    }
)

# common.event_types.DATA_FIELDS (docs/events.md, "data per type") and the call-detail record's
# fields; anything else is kept but flagged as an unknown field. Not the group calls' events:
# they have a stream of their own, read by `reports.group_fold` (docs/events.md).
KNOWN_DATA_FIELDS: dict[str, frozenset[str]] = {
    **{
        str(event_type): fields
        for event_type, fields in DATA_FIELDS.items()
        if event_type not in GROUP_CALL_EVENTS | RECORDED_ONLY_EVENTS  # the group events' stream's
    },
    CALL_DETAIL: frozenset(
        {
            "called",
            "direction",
            "start",
            "answer",
            "end",
            "outcome",
            "usage_type",
            "number",
            "profile",
            "category",
            "quantity",
            "recording_url",
            "disposition",
        }
    ),
}


@dataclass(slots=True)
class Event:
    """A stream entry that has an identity and a known envelope; `type` may still be unknown."""

    type: str
    sequence: int
    timestamp: float
    tenant: str
    reason: str
    call_center_id: str | None
    call_id: str | None
    agent: str | None
    caller: str | None
    data: dict[str, Any]
    raw: str | bytes
    """The entry as read (bytes straight from Redis); `raw_text` for storing it."""
    unknown_fields: tuple[str, ...] = field(default=())

    @property
    def raw_text(self) -> str:
        return self.raw.decode(errors="replace") if isinstance(self.raw, bytes) else self.raw

    def number(self, name: str) -> float | None:
        """`data[name]` as a finite float, None when absent; ValueError when it is not a number."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"data.{name} is not a number: {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"data.{name} must be a finite number >= 0, got {value!r}")
        return float(value)

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Rejection:
    """An entry that cannot be identified as an event at all."""

    reason: str
    raw: str


def _optional_text(value: Any) -> str | None:
    return value if value is None or type(value) is str else str(value)


def _text(raw_json: str | bytes) -> str:
    return raw_json.decode(errors="replace") if isinstance(raw_json, bytes) else raw_json


def parse_event(raw_json: str | bytes, expected_tenant: str | None = None) -> Event | Rejection:
    """Parse the `event` field of a stream entry (the JSON of `DomainEvent.to_dict()`).

    This runs once per event on the ingestion hot path, hence exact type checks (`type(x) is
    int` also keeps booleans out) and set comparisons instead of loops.
    """
    try:
        raw = loads(raw_json)
    except JSON_ERRORS as error:
        return Rejection(f"not JSON: {error}", _text(raw_json))
    if type(raw) is not dict:
        return Rejection("not a JSON object", _text(raw_json))
    kind = raw.get("type")
    if type(kind) is not str or not kind:
        return Rejection("missing or non-string 'type'", _text(raw_json))
    sequence = raw.get("sequence")
    if type(sequence) is not int or not 0 <= sequence <= MAX_SEQUENCE:
        return Rejection(
            f"'sequence' must be an integer from 0 to {MAX_SEQUENCE}, got {sequence!r}",
            _text(raw_json),
        )
    timestamp = raw.get("timestamp")
    if type(timestamp) is not float and type(timestamp) is not int:
        return Rejection(f"'timestamp' must be a number, got {timestamp!r}", _text(raw_json))
    if not math.isfinite(timestamp):
        return Rejection(f"'timestamp' must be finite, got {timestamp!r}", _text(raw_json))
    tenant = raw.get("tenant")
    if type(tenant) is not str or not tenant:
        return Rejection("missing 'tenant'", _text(raw_json))
    if expected_tenant is not None and tenant != expected_tenant:
        return Rejection(
            f"tenant {tenant!r} on the stream of tenant {expected_tenant!r}", _text(raw_json)
        )
    data = raw.get("data")
    if data is None:
        data = {}
    elif type(data) is not dict:
        return Rejection("'data' is not an object", _text(raw_json))
    unknown: list[str] = []
    if not ENVELOPE_FIELDS.issuperset(raw):
        unknown = sorted(key for key in raw if key not in ENVELOPE_FIELDS)
    known_data = KNOWN_DATA_FIELDS.get(kind)
    if known_data is not None and not known_data.issuperset(data):
        unknown += sorted(f"data.{key}" for key in data if key not in known_data)
    return Event(
        kind,
        sequence,
        float(timestamp),
        tenant,
        str(raw.get("reason") or ""),
        _optional_text(raw.get("call_center_id")),
        _optional_text(raw.get("call_id")),
        _optional_text(raw.get("agent")),
        _optional_text(raw.get("caller")),
        data,
        raw_json,
        tuple(unknown),
    )

"""The reports' figures as values: one call center, agent or usage group over one interval, with
their export rows (`as_row`) and the contract's shape (`as_contract`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

CALL_CENTER_REPORT_FIELDS = (
    "number",
    "offered",
    "answered",
    "abandoned",
    "overflowed",
    "bounced",
    "stranded",
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "longest_wait_seconds",
)
"""The keys of one call center in `GET /api/v1/reports/call-centers` (contract.md), in order."""


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass(frozen=True, slots=True)
class CallCenterFigures:
    """Queue figures of one call center over one interval."""

    call_center: str
    interval_start: float
    interval_end: float
    threshold_seconds: float
    offered: int = 0
    entered: int = 0
    answered: int = 0
    answered_within_threshold: int = 0
    abandoned: int = 0
    abandoned_during_entrance: int = 0
    overflowed: int = 0
    bounced: int = 0
    bounces: int = 0
    stranded: int = 0
    transferred: int = 0
    escaped: int = 0
    diverted: int = 0
    lost: int = 0
    """Lost by the platform (CALL_LOST): neither abandoned nor in the service level's base."""
    called_back: int = 0
    """Callbacks that reached the customer (docs/callback.md), not counted as answered."""
    callback_failed: int = 0
    """Callbacks given up after their attempts, not counted as abandoned."""
    waiting: int = 0
    service_level: float | None = None
    asa_seconds: float | None = None
    aht_seconds: float | None = None
    longest_wait_seconds: float | None = None

    def as_row(self) -> dict[str, Any]:
        """Flat, export-ready form (times as ISO 8601 UTC)."""
        row = asdict(self)
        row["interval_start"] = iso(self.interval_start)
        row["interval_end"] = iso(self.interval_end)
        return row

    def as_contract(self) -> dict[str, Any]:
        """Exactly the contract's keys (contract.md, `GET /api/v1/reports/call-centers`)."""
        return {
            "number": self.call_center,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            "bounced": self.bounced,
            "stranded": self.stranded,
            "service_level": self.service_level,
            "asa_seconds": self.asa_seconds,
            "aht_seconds": self.aht_seconds,
            "longest_wait_seconds": self.longest_wait_seconds,
        }


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent's calls and ACD state times over one interval."""

    agent: str
    interval_start: float
    interval_end: float
    answered: int = 0
    talk_seconds: float = 0.0
    aht_seconds: float | None = None
    state_seconds: dict[str, float] = field(default_factory=dict)
    unavailable_seconds: dict[str, float] = field(default_factory=dict)
    """UNAVAILABLE time per unavailable code ('' when none was given)."""
    occupancy: float | None = None

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "agent": self.agent,
            "interval_start": iso(self.interval_start),
            "interval_end": iso(self.interval_end),
            "answered": self.answered,
            "talk_seconds": self.talk_seconds,
            "aht_seconds": self.aht_seconds,
            "occupancy": self.occupancy,
        }
        for state, seconds in sorted(self.state_seconds.items()):
            row[f"{state.lower()}_seconds"] = seconds
        for code, seconds in sorted(self.unavailable_seconds.items()):
            row[f"unavailable_{code or 'no_code'}_seconds"] = seconds
        return row


@dataclass(frozen=True, slots=True)
class UsageFigures:
    """Seed 3.5.3 usage: records and quantity per combination of the chosen dimensions."""

    dimensions: dict[str, str | None]
    records: int
    quantity: float
    """Seconds for voice, messages for sms, bytes for data (one type per row when grouped by it)."""

    def as_row(self) -> dict[str, Any]:
        return {**self.dimensions, "records": self.records, "quantity": self.quantity}

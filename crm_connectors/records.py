"""The typed values that cross the connector interface: CRM records and call logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """One customer card in a CRM: what a screen-pop shows and links to.

    `source` is the tenant's connector name (e.g. `salesforce`), so a record id is unique only
    together with its source. `phones` are E.164 strings.
    """

    id: str
    name: str
    source: str
    company: str | None = None
    phones: tuple[str, ...] = ()
    url: str | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "company": self.company,
            "phones": list(self.phones),
            "url": self.url,
            "kind": self.kind,
        }


class CallDirection(StrEnum):
    """Seen from the contact center: inbound = the customer called us."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class CallLog:
    """A finished call, to be written to the CRM as an activity/task.

    `record_id` and `source` are set when the agent's screen-pop already picked the record;
    otherwise the logging job finds the record through the local index by `number`.
    """

    tenant: str
    call_id: str
    number: str
    direction: CallDirection
    duration_s: int
    agent: str
    disposition: str
    started_at: datetime
    recording_url: str | None = None
    record_id: str | None = None
    source: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        arrow = "from" if self.direction is CallDirection.INBOUND else "to"
        return f"Call {arrow} {self.number} ({self.disposition})"

    @property
    def description(self) -> str:
        lines = [
            f"Direction: {self.direction.value}",
            f"Number: {self.number}",
            f"Agent: {self.agent}",
            f"Duration: {self.duration_s} s",
            f"Disposition: {self.disposition}",
            f"Started: {self.started_at.isoformat()}",
        ]
        if self.recording_url:
            lines.append(f"Recording: {self.recording_url}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form: what goes into the rq job payload."""
        return {
            "tenant": self.tenant,
            "call_id": self.call_id,
            "number": self.number,
            "direction": self.direction.value,
            "duration_s": self.duration_s,
            "agent": self.agent,
            "disposition": self.disposition,
            "started_at": self.started_at.isoformat(),
            "recording_url": self.recording_url,
            "record_id": self.record_id,
            "source": self.source,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallLog:
        return cls(
            tenant=str(data["tenant"]),
            call_id=str(data["call_id"]),
            number=str(data["number"]),
            direction=CallDirection(data["direction"]),
            duration_s=int(data["duration_s"]),
            agent=str(data["agent"]),
            disposition=str(data["disposition"]),
            started_at=datetime.fromisoformat(str(data["started_at"])),
            recording_url=data.get("recording_url"),
            record_id=data.get("record_id"),
            source=data.get("source"),
            extra={str(k): str(v) for k, v in (data.get("extra") or {}).items()},
        )

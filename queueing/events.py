"""Domain events the queue engine emits (Xsi-style names, see docs/queue-engine.md).

Every event carries its audience (tenant, call center, call, agent), a per-engine monotonic
sequence number, the engine time it happened at, and a human-readable reason: supervisors and
reports must be able to see *why* each routing decision was taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """Names outside clients rely on (`../shared/spec/contract.md`)."""

    CALL_ADDED = "CALL_ADDED"
    """A call entered the queue (after night/forced/full/stranded checks let it in)."""
    CALL_OFFERED = "CALL_OFFERED"
    """The routing policy picked an agent and the agent's phone rings."""
    CALL_ANSWERED = "CALL_ANSWERED"
    """An agent answered; caller and agent are bridged."""
    CALL_ABANDONED = "CALL_ABANDONED"
    """The caller hung up before an agent answered (data.during_entrance tells when)."""
    CALL_BOUNCED = "CALL_BOUNCED"
    """An offer or a held call bounced back to the top of the queue."""
    CALL_OVERFLOWED = "CALL_OVERFLOWED"
    """Overflow treatment (queue full or max wait) took the call."""
    CALL_STRANDED = "CALL_STRANDED"
    """Stranded treatment (no agent signed in / none available) took the call."""
    CALL_RELEASED = "CALL_RELEASED"
    """An answered call ended (either side hung up)."""
    CALL_TRANSFERRED = "CALL_TRANSFERRED"
    """A supervisor moved the call out (to another queue or retrieved it)."""
    CALL_PROMOTED = "CALL_PROMOTED"
    """A supervisor changed the call's priority."""
    CALL_REORDERED = "CALL_REORDERED"
    """A supervisor moved the call within its priority."""
    CALL_ESCAPED = "CALL_ESCAPED"
    """The caller pressed the escape digit."""
    CALL_DIVERTED = "CALL_DIVERTED"
    """Night service, holiday service or forced forwarding took the call on arrival."""
    CALL_UPDATED = "CALL_UPDATED"
    """Something about a waiting call changed (entrance message done, comfort message played...)."""
    CALL_HELD = "CALL_HELD"
    CALL_RESUMED = "CALL_RESUMED"
    DISPOSITION_ENTERED = "DISPOSITION_ENTERED"
    AGENT_STATE_CHANGED = "AGENT_STATE_CHANGED"
    AGENT_JOINED = "AGENT_JOINED"
    AGENT_LEFT = "AGENT_LEFT"
    CALL_CENTER_UPDATED = "CALL_CENTER_UPDATED"
    """A supervisor switch (night service override, forced forwarding) changed."""
    INPUT_REJECTED = "INPUT_REJECTED"
    """An impossible input (unknown call, agent not a member...) was refused; state unchanged."""


TERMINAL_CALL_EVENTS = frozenset(
    {
        EventType.CALL_ANSWERED,
        EventType.CALL_ABANDONED,
        EventType.CALL_OVERFLOWED,
        EventType.CALL_STRANDED,
        EventType.CALL_TRANSFERRED,
        EventType.CALL_ESCAPED,
        EventType.CALL_DIVERTED,
    }
)
"""Exactly one of these ends each call's stay in a call center (call-center.md, outcome)."""


@dataclass(slots=True)
class DomainEvent:
    """A value: treat it as immutable (not `frozen` because frozen construction was measured
    markedly slower in the engine benchmark, and the engine builds several per input)."""

    type: EventType
    sequence: int
    timestamp: float
    tenant: str
    reason: str
    call_center_id: str | None = None
    call_id: str | None = None
    agent: str | None = None
    caller: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form used on the Redis stream and by reports."""
        return {
            "type": self.type.value,
            "sequence": self.sequence,
            "timestamp": self.timestamp,
            "tenant": self.tenant,
            "reason": self.reason,
            "call_center_id": self.call_center_id,
            "call_id": self.call_id,
            "agent": self.agent,
            "caller": self.caller,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DomainEvent:
        return cls(
            type=EventType(raw["type"]),
            sequence=int(raw["sequence"]),
            timestamp=float(raw["timestamp"]),
            tenant=str(raw["tenant"]),
            reason=str(raw["reason"]),
            call_center_id=raw.get("call_center_id"),
            call_id=raw.get("call_id"),
            agent=raw.get("agent"),
            caller=raw.get("caller"),
            data=dict(raw.get("data") or {}),
        )

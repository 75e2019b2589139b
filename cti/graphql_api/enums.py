"""GraphQL enums shared by several features, registered once."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from cti.control import MonitorMode
from cti.snapshots import AgentState, CallPhase
from queueing.events import EventType

strawberry.enum(AgentState, description="ACD state; BUSY is read-only (an agent on a call)")
strawberry.enum(CallPhase, description="Where an agent's call is")
strawberry.enum(MonitorMode, description="How a supervisor joins an agent's call")

# A GraphQL enum of its own (same names) rather than decorating the engine's class.
_members = {t.name: t.value for t in EventType}
_queue_event_type: Any = Enum("QueueEventType", _members)  # type: ignore[misc]
QueueEventType: Any = strawberry.enum(
    _queue_event_type, description="Xsi-style event names (contract.md, docs/events.md)"
)

__all__ = ["AgentState", "CallPhase", "MonitorMode", "QueueEventType"]

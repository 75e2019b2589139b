"""What the CTI layer needs from the engine runtime (implemented by `cti/engine_runtime.py`).

Every command is asynchronous and returns once the engine has accepted the input; its effects
arrive as domain events on the tenant's stream (and in the Redis snapshot). A refused input
raises `ControlError` with a short machine code and a sentence for humans; the API turns it
into a GraphQL error or an HTTP 4xx. Authorization is the API's job: by the time a method is
called, the caller may do it; `by` names who did it, for the event's reason and audit.

The read-only snapshot methods serve the runtime's own process; API processes read the copy
the runtime keeps in Redis (`cti.snapshots.SnapshotStore`).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    StateCause,
)


class ControlError(Exception):
    """The engine (or PBX) refused a command; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


UNAVAILABLE = frozenset(
    {"control_unavailable", "engine_unreachable", "lease_unconfirmed", "engine_taking_over"}
)
"""The codes that refuse nothing but say "not now, try again in a few seconds" (HTTP 503): no
engine in reach (docs/deploy.md, the tenant engine lease)."""


class MonitorMode(StrEnum):
    """How a supervisor joins an agent's call from their own phone."""

    LISTEN = "LISTEN"
    """Silent monitoring: hears caller and agent, is not heard."""
    BARGE = "BARGE"
    """Barge in: a three-way conversation."""
    WHISPER = "WHISPER"
    """Whisper (coach): talks to the agent alone, hears both; the caller hears only the agent."""


class CallCenterControl(Protocol):
    # Agent state and membership.
    async def set_agent_state(
        self,
        tenant: str,
        extension: str,
        state: AgentState,
        *,
        unavailable_code: str | None,
        cause: StateCause,
        by: str,
    ) -> None: ...

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None: ...

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None: ...

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None: ...

    # Supervisor actions on waiting calls and call centers.
    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None: ...

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None: ...

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None: ...

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        """Take a waiting call out of the queue to `extension` (a supervisor's phone)."""
        ...

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        """True forces night service on, False forces it off, None follows the schedule."""
        ...

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None: ...

    # Call control of a call an agent is on (or rings).
    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None: ...

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None: ...

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        """`destination` is an extension, an outside number or a call center number."""
        ...

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None: ...

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        """Ring `extension` (the supervisor's phone) and join it to the agent's call in `mode`;
        called again while joined, it switches the mode."""
        ...

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None: ...

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None: ...

    async def book_callback(self, tenant: str, call_center_id: str, number: str) -> str:
        """A callback asked for outside a call (Bel-me-nu): it waits its turn in the call
        center's queue (docs/callback.md); returns its call id."""
        ...

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        """Ring `extension`, then call `destination`; returns the new call's id."""
        ...

    # Read-only snapshots (the runtime also writes them to Redis).
    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]: ...

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]: ...

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]: ...

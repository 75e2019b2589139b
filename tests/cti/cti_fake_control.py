"""An in-memory CallCenterControl for the tests only (the engine runtime is the real one).

It records every command, and for agent state changes behaves like the runtime: it appends an
AGENT_STATE_CHANGED event to the tenant's stream and rewrites the agent's snapshot, so tests
can watch a mutation come back through a subscription.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from cti.control import ControlError, MonitorMode
from cti.event_log import EventLog
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    SnapshotStore,
    StateCause,
)
from queueing.events import DomainEvent, EventType


@dataclass
class FakeControl:
    redis_url: str
    prefix: str
    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    @asynccontextmanager
    async def _stores(self) -> AsyncIterator[tuple[EventLog, SnapshotStore]]:
        # A client per call: the fake is used from the server's loop and the test's loop.
        async with Redis.from_url(self.redis_url, decode_responses=True) as redis:
            yield EventLog(redis, self.prefix), SnapshotStore(redis, self.prefix)

    def _record(self, name: str, **args: Any) -> None:
        self.commands.append((name, args))
        if name in self.refuse:
            raise ControlError("refused", f"{name} refused by the test")

    def names(self) -> list[str]:
        return [name for name, _ in self.commands]

    async def set_agent_state(
        self,
        tenant: str,
        extension: str,
        state: AgentState,
        *,
        unavailable_code: str | None,
        cause: StateCause,
        by: str,
    ) -> None:
        self._record(
            "set_agent_state",
            tenant=tenant,
            extension=extension,
            state=state,
            unavailable_code=unavailable_code,
            cause=cause,
            by=by,
        )
        async with self._stores() as (log, snapshots):
            await self._change_state(
                log, snapshots, tenant, extension, state, unavailable_code, cause, by
            )

    async def _change_state(
        self,
        log: EventLog,
        snapshots: SnapshotStore,
        tenant: str,
        extension: str,
        state: AgentState,
        unavailable_code: str | None,
        cause: StateCause,
        by: str,
    ) -> None:
        agent = await snapshots.agent(tenant, extension)
        previous = agent.state if agent else AgentState.SIGN_OUT
        sequence = await log.last_sequence(tenant) + 1
        await log.append(
            DomainEvent(
                type=EventType.AGENT_STATE_CHANGED,
                sequence=sequence,
                timestamp=time.time(),
                tenant=tenant,
                reason=f"{cause.value} {by} set {state.value}",
                agent=extension,
                data={
                    "state": state.value,
                    "previous": previous.value,
                    "unavailable_code": unavailable_code,
                    "cause": cause.value,
                },
            )
        )
        if agent is not None:
            await snapshots.write_agent(
                tenant,
                AgentSnapshot(
                    extension=extension,
                    state=state,
                    state_since=time.time(),
                    unavailable_code=unavailable_code,
                    call_centers=agent.call_centers,
                    name=agent.name,
                ),
            )

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._record("join_call_center", tenant=tenant, extension=extension, cc=call_center_id)

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._record("leave_call_center", tenant=tenant, extension=extension, cc=call_center_id)

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        self._record("enter_disposition", tenant=tenant, call_id=call_id, code=code)

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        self._record("move_call", tenant=tenant, call_id=call_id, to=to_call_center_id)

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        self._record("promote_call", tenant=tenant, call_id=call_id, priority=priority)

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        self._record("reorder_call", tenant=tenant, call_id=call_id, position=position)

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        self._record("retrieve_call", tenant=tenant, call_id=call_id, extension=extension)

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        self._record("set_night_service_override", tenant=tenant, cc=call_center_id, on=override)

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None:
        self._record("set_forced_forwarding", tenant=tenant, cc=call_center_id, on=enabled)

    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hold_call", tenant=tenant, call_id=call_id, by=by)

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("resume_call", tenant=tenant, call_id=call_id, by=by)

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        self._record("transfer_call", tenant=tenant, call_id=call_id, destination=destination)

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hang_up", tenant=tenant, call_id=call_id, by=by)

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None:
        self._record("record_call", tenant=tenant, call_id=call_id, enabled=enabled)

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        self._record("monitor_call", call_id=call_id, extension=extension, mode=mode, by=by)

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("stop_monitor", call_id=call_id, by=by)

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        self._record("click_to_dial", tenant=tenant, extension=extension, destination=destination)
        return f"c2d-{len(self.commands)}"

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        async with self._stores() as (_, snapshots):
            return await snapshots.call_centers(tenant)

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        async with self._stores() as (_, snapshots):
            return await snapshots.agents(tenant)

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        async with self._stores() as (_, snapshots):
            return await snapshots.calls(tenant)

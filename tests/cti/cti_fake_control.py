"""The one in-memory `CallCenterControl` of the tests (the engine runtime is the real one), used
by the CTI, agent client and dashboard suites.

It records every command with all its arguments (`commands`), refuses the ones named in `refuse`,
and otherwise behaves like the runtime as far as the browser clients and the API can see
(docs/cti.md, docs/events.md): an accepted command writes the tenant's Redis snapshot, then
appends its domain events to the tenant's stream. Tests also play the PBX's side with it: a
caller waiting in a queue (`add_waiting`), an agent's phone ringing (`offer_call`) and answering
(`answer`), the engine changing an agent's state (`change_state`).

A synchronous Redis client under a lock: the server's thread and the test's thread both publish,
without colliding on sequence numbers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import redis

from common.redis_keys import event_stream, snapshot_key
from cti.control import ControlError, MonitorMode
from cti.event_log import decode, encode, entry_id, sequence_of, stream_entries
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    CallPhase,
    StateCause,
    WaitingCallSnapshot,
)
from queueing.events import DomainEvent, EventType

DEMO = "demo"
WRAP_UP_SECONDS = 3.0


class FakeControl:
    def __init__(
        self, redis_url: str, prefix: str, *, wrap_up_seconds: float = WRAP_UP_SECONDS
    ) -> None:
        self._redis = redis.Redis.from_url(redis_url, decode_responses=True)
        self._prefix = prefix
        self._lock = threading.RLock()
        self._timers: list[threading.Timer] = []
        self.wrap_up_seconds = wrap_up_seconds
        self.commands: list[tuple[str, dict[str, Any]]] = []
        """(method, its arguments by name) of every command, refused ones included."""
        self.refuse: dict[str, Exception] = {}
        """Raised by the named command: a `ControlError` (a refusal) or any other exception (a
        failure the API must not show its clients)."""
        """Method name -> the refusal it raises instead of taking effect."""

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._redis.close()

    def _record(self, name: str, **args: Any) -> None:
        self.commands.append((name, args))
        if name in self.refuse:
            raise self.refuse[name]

    def names(self) -> list[str]:
        return [name for name, _ in self.commands]

    # Stream and snapshot, laid out as `EventLog` and `SnapshotStore` do ----------------------

    def publish(
        self,
        type_: EventType,
        *,
        tenant: str = DEMO,
        reason: str = "",
        **fields: Any,
    ) -> DomainEvent:
        """Append one event with the tenant's next sequence (docs/events.md stream shape)."""
        with self._lock:
            stream = event_stream(self._prefix, tenant)
            newest = self._redis.xrevrange(stream, count=1)
            event = DomainEvent(
                type=type_,
                sequence=sequence_of(str(newest[0][0])) + 1 if newest else 0,
                timestamp=time.time(),
                tenant=tenant,
                reason=reason or f"test: {type_.value}",
                **fields,
            )
            self._redis.xadd(stream, {"event": encode(event)}, id=entry_id(event.sequence))
            self._redis.hset(self._key(tenant, "meta"), "sequence", str(event.sequence))
            return event

    def events(self, tenant: str = DEMO) -> list[DomainEvent]:
        entries = stream_entries(self._redis.xrange(event_stream(self._prefix, tenant)))
        return [decode(fields) for _, fields in entries]

    def _key(self, tenant: str, part: str) -> str:
        return snapshot_key(self._prefix, tenant, part)

    def _get(self, tenant: str, part: str, key: str) -> dict[str, Any] | None:
        raw = self._redis.hget(self._key(tenant, part), key)
        return json.loads(str(raw)) if raw else None

    def _all(self, tenant: str, part: str) -> list[dict[str, Any]]:
        return [json.loads(v) for v in self._redis.hgetall(self._key(tenant, part)).values()]

    def _put(self, tenant: str, part: str, key: str, value: dict[str, Any]) -> None:
        self._redis.hset(self._key(tenant, part), key, json.dumps(value, separators=(",", ":")))

    def agent(self, extension: str, tenant: str = DEMO) -> AgentSnapshot | None:
        raw = self._get(tenant, "agents", extension)
        return AgentSnapshot.from_dict(raw) if raw else None

    def call(self, call_id: str, tenant: str = DEMO) -> ActiveCallSnapshot | None:
        raw = self._get(tenant, "calls", call_id)
        return ActiveCallSnapshot.from_dict(raw) if raw else None

    def call_center(self, call_center_id: str, tenant: str = DEMO) -> CallCenterSnapshot | None:
        raw = self._get(tenant, "call_centers", call_center_id)
        return CallCenterSnapshot.from_dict(raw) if raw else None

    def write_agent(self, agent: AgentSnapshot, tenant: str = DEMO) -> None:
        self._put(tenant, "agents", agent.extension, agent.to_dict())

    def write_call(self, call: ActiveCallSnapshot, tenant: str = DEMO) -> None:
        self._put(tenant, "calls", call.call_id, call.to_dict())

    def write_call_center(self, call_center: CallCenterSnapshot, tenant: str = DEMO) -> None:
        self._put(tenant, "call_centers", call_center.id, call_center.to_dict())

    # What the engine does, driven by tests as the PBX's side ----------------------------------

    def change_state(
        self,
        extension: str,
        state: AgentState,
        *,
        code: str | None = None,
        cause: StateCause = StateCause.ENGINE,
        by: str = "engine",
        tenant: str = DEMO,
    ) -> None:
        with self._lock:
            agent = self.agent(extension, tenant)
            if agent is not None:
                self.write_agent(
                    replace(agent, state=state, state_since=time.time(), unavailable_code=code),
                    tenant,
                )
            previous = agent.state if agent else AgentState.SIGN_OUT
            self.publish(
                EventType.AGENT_STATE_CHANGED,
                tenant=tenant,
                agent=extension,
                reason=f"{cause.value} {by} set {state.value}",
                data={
                    "state": state.value,
                    "previous": previous.value,
                    "unavailable_code": code,
                    "cause": cause.value,
                },
            )

    def add_waiting(
        self,
        call_center_id: str,
        call_id: str,
        caller: str,
        *,
        priority: int = 0,
        arrived_at: float | None = None,
        tenant: str = DEMO,
    ) -> DomainEvent:
        """A caller enters the queue of `call_center_id`, last."""
        with self._lock:
            cc = self.call_center(call_center_id, tenant)
            assert cc is not None
            position = len(cc.waiting_calls) + 1
            waiting = WaitingCallSnapshot(
                call_id, caller, position, priority, arrived_at or time.time()
            )
            self.write_call_center(replace(cc, waiting_calls=(*cc.waiting_calls, waiting)), tenant)
            return self.publish(
                EventType.CALL_ADDED,
                tenant=tenant,
                call_id=call_id,
                call_center_id=call_center_id,
                caller=caller,
                data={"priority": priority, "position": position, "called": cc.number},
            )

    def offer_call(
        self, call_id: str, caller: str, agent: str, call_center_id: str = "7001"
    ) -> None:
        """A caller enters the queue and the engine offers the call to `agent` (phone rings)."""
        with self._lock:
            self.add_waiting(call_center_id, call_id, caller)
            self.write_call(
                ActiveCallSnapshot(
                    call_id, agent, caller, CallPhase.RINGING, time.time(), call_center_id
                )
            )
            self.publish(
                EventType.CALL_OFFERED,
                call_id=call_id,
                call_center_id=call_center_id,
                caller=caller,
                agent=agent,
                data={"policy": "circular", "ring_timeout": None},
            )

    def _take_waiting(self, call_id: str, tenant: str) -> tuple[str, WaitingCallSnapshot]:
        """The waiting call out of its queue (the ones behind it move up)."""
        for cc in map(CallCenterSnapshot.from_dict, self._all(tenant, "call_centers")):
            waiting = next((w for w in cc.waiting_calls if w.call_id == call_id), None)
            if waiting is not None:
                rest = tuple(
                    replace(w, position=i)
                    for i, w in enumerate((w for w in cc.waiting_calls if w != waiting), 1)
                )
                self.write_call_center(replace(cc, waiting_calls=rest), tenant)
                return cc.id, waiting
        raise ControlError("not_waiting", f"call {call_id} is not waiting")

    def answer(self, call_id: str, agent: str | None = None) -> DomainEvent:
        """The phone of `agent` (default: the one the call rings at) answers a waiting call."""
        with self._lock:
            ringing = self.call(call_id)
            extension = agent or (ringing.agent if ringing else None)
            assert extension is not None, f"{call_id} rings nowhere: say who answers"
            cc, waiting = self._take_waiting(call_id, DEMO)
            now = time.time()
            self.write_call(
                ActiveCallSnapshot(call_id, extension, waiting.caller, CallPhase.CONNECTED, now, cc)
            )
            answered = self.publish(
                EventType.CALL_ANSWERED,
                call_id=call_id,
                call_center_id=cc,
                caller=waiting.caller,
                agent=extension,
                data={"wait_seconds": round(now - waiting.arrived_at, 3)},
            )
            self.change_state(extension, AgentState.BUSY)
            return answered

    def _end_call(
        self, tenant: str, call: ActiveCallSnapshot, event: EventType, data: dict[str, Any]
    ) -> None:
        """The call ends; the agent wraps up, and when wrap-up ends becomes available again.

        The call stays in the snapshot during wrap-up so a disposition can still be entered.
        """
        self.publish(
            event,
            tenant=tenant,
            call_id=call.call_id,
            call_center_id=call.call_center_id,
            caller=call.caller,
            agent=call.agent,
            data=data,
        )
        self.change_state(call.agent, AgentState.WRAP_UP, tenant=tenant)

        def wrap_up_done() -> None:
            with self._lock:
                self._redis.hdel(self._key(tenant, "calls"), call.call_id)
                agent = self.agent(call.agent, tenant)
                if agent is not None and agent.state is AgentState.WRAP_UP:
                    self.change_state(call.agent, AgentState.AVAILABLE, tenant=tenant)

        timer = threading.Timer(self.wrap_up_seconds, wrap_up_done)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _connected_call(self, call_id: str, tenant: str) -> ActiveCallSnapshot:
        call = self.call(call_id, tenant)
        if call is None:
            raise ControlError("no_call", "the call has ended")
        return call

    # CallCenterControl --------------------------------------------------------------------------

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
        self.change_state(
            extension, state, code=unavailable_code, cause=cause, by=by, tenant=tenant
        )

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._membership(tenant, extension, call_center_id, by=by, join=True)

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._membership(tenant, extension, call_center_id, by=by, join=False)

    def _membership(
        self, tenant: str, extension: str, call_center_id: str, *, by: str, join: bool
    ) -> None:
        self._record(
            "join_call_center" if join else "leave_call_center",
            tenant=tenant,
            extension=extension,
            call_center_id=call_center_id,
            by=by,
        )
        with self._lock:
            cc = self.call_center(call_center_id, tenant)
            agent = self.agent(extension, tenant)
            if cc is None or agent is None:
                raise ControlError("unknown", "no such call center or agent")
            members = [m for m in cc.members if m != extension]
            centers = [c for c in agent.call_centers if c != call_center_id]
            if join:
                members.append(extension)
                centers.append(call_center_id)
            self.write_call_center(replace(cc, members=tuple(members)), tenant)
            self.write_agent(replace(agent, call_centers=tuple(centers)), tenant)
            self.publish(
                EventType.AGENT_JOINED if join else EventType.AGENT_LEFT,
                tenant=tenant,
                agent=extension,
                call_center_id=call_center_id,
            )

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        self._record(
            "enter_disposition",
            tenant=tenant,
            extension=extension,
            call_id=call_id,
            code=code,
            by=by,
        )
        call = self.call(call_id, tenant)
        self.publish(
            EventType.DISPOSITION_ENTERED,
            tenant=tenant,
            call_id=call_id,
            agent=extension,
            call_center_id=call.call_center_id if call else None,
            caller=call.caller if call else None,
            data={"code": code},
        )

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        self._record(
            "move_call", tenant=tenant, call_id=call_id, to_call_center_id=to_call_center_id, by=by
        )
        with self._lock:
            cc, waiting = self._take_waiting(call_id, tenant)
            target = self.call_center(to_call_center_id, tenant)
            assert target is not None
            moved = replace(waiting, position=len(target.waiting_calls) + 1)
            self.write_call_center(
                replace(target, waiting_calls=(*target.waiting_calls, moved)), tenant
            )
            self.publish(
                EventType.CALL_TRANSFERRED,
                tenant=tenant,
                call_center_id=cc,
                call_id=call_id,
                caller=waiting.caller,
                data={
                    "destination": to_call_center_id,
                    "wait_seconds": round(time.time() - waiting.arrived_at, 3),
                    "by": by,
                },
            )
            self.publish(
                EventType.CALL_ADDED,
                tenant=tenant,
                call_center_id=to_call_center_id,
                call_id=call_id,
                caller=waiting.caller,
                reason=f"moved from {cc} by {by}",
                data={
                    "priority": waiting.priority,
                    "position": moved.position,
                    "called": to_call_center_id,
                },
            )

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        self._record("promote_call", tenant=tenant, call_id=call_id, priority=priority, by=by)

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        self._record("reorder_call", tenant=tenant, call_id=call_id, position=position, by=by)

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        self._record("retrieve_call", tenant=tenant, call_id=call_id, extension=extension, by=by)

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        self._record(
            "set_night_service_override",
            tenant=tenant,
            call_center_id=call_center_id,
            override=override,
            by=by,
        )

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None:
        self._record(
            "set_forced_forwarding",
            tenant=tenant,
            call_center_id=call_center_id,
            enabled=enabled,
            destination=destination,
            by=by,
        )

    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hold_call", tenant=tenant, call_id=call_id, by=by)
        self._phase(tenant, call_id, CallPhase.HELD, EventType.CALL_HELD)

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("resume_call", tenant=tenant, call_id=call_id, by=by)
        self._phase(tenant, call_id, CallPhase.CONNECTED, EventType.CALL_RESUMED)

    def _phase(self, tenant: str, call_id: str, phase: CallPhase, event: EventType) -> None:
        with self._lock:
            call = self._connected_call(call_id, tenant)
            self.write_call(replace(call, phase=phase), tenant)
            self.publish(
                event,
                tenant=tenant,
                call_id=call_id,
                call_center_id=call.call_center_id,
                caller=call.caller,
                agent=call.agent,
            )

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        self._record(
            "transfer_call", tenant=tenant, call_id=call_id, destination=destination, by=by
        )
        with self._lock:
            call = self._connected_call(call_id, tenant)
            data = {"destination": destination, "wait_seconds": 0.0, "by": by}
            self._end_call(tenant, call, EventType.CALL_TRANSFERRED, data)

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hang_up", tenant=tenant, call_id=call_id, by=by)
        with self._lock:
            call = self._connected_call(call_id, tenant)
            talk = round(time.time() - call.since, 3)
            self._end_call(
                tenant,
                call,
                EventType.CALL_RELEASED,
                {"talk_seconds": talk, "released_by": "agent"},
            )

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None:
        self._record("record_call", tenant=tenant, call_id=call_id, enabled=enabled, by=by)
        call = self.call(call_id, tenant)
        if call is not None:
            self.write_call(replace(call, recording=enabled), tenant)

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        self._record(
            "monitor_call", tenant=tenant, call_id=call_id, extension=extension, mode=mode, by=by
        )

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("stop_monitor", tenant=tenant, call_id=call_id, by=by)

    async def book_callback(self, tenant: str, call_center_id: str, number: str) -> str:
        self._record("book_callback", tenant=tenant, call_center_id=call_center_id, number=number)
        return f"callback-{len(self.commands)}"

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        self._record("click_to_dial", tenant=tenant, extension=extension, destination=destination)
        return f"c2d-{len(self.commands)}"

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        return [CallCenterSnapshot.from_dict(raw) for raw in self._all(tenant, "call_centers")]

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        return [AgentSnapshot.from_dict(raw) for raw in self._all(tenant, "agents")]

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        return [ActiveCallSnapshot.from_dict(raw) for raw in self._all(tenant, "calls")]

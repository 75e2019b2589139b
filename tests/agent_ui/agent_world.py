"""The agent client's test world: the real CTI app (uvicorn thread) with the agent UI mounted,
a fake engine runtime that behaves like one, and the demo company in SQL and Redis.

`DeskControl` implements `cti.control.CallCenterControl` the way the runtime does it (docs/cti.md,
docs/events.md): every accepted command appends domain events to the tenant's Redis stream and
updates the Redis snapshot. Tests also drive it directly (`offer_call`, `answer`) to play the
PBX side: a caller arriving in a queue, the agent's SIP phone answering. It uses a synchronous
Redis client under a lock, so the server thread and the test thread can both publish without
colliding on sequence numbers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import redis
import uvicorn
from fastapi import FastAPI

import agent_ui
from common.redis_keys import event_stream, snapshot_key
from cti.app import create_app
from cti.control import ControlError, MonitorMode
from cti.event_log import encode, entry_id, sequence_of
from cti.passwords import TEST_COST
from cti.screen_pop import ScreenPopRecord
from cti.settings import CtiSettings
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
from tests.cti.cti_server import TOKEN_SECRET, wait_until_healthy
from tests.cti.cti_world import MEMBERS, NAMES, seed_users

REDIS_URL = "redis://127.0.0.1:6379/0"
TENANT = "demo"
WRAP_UP_SECONDS = 3.0


def new_prefix() -> str:
    return f"agentuitest:{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class DeskControl:
    """A fake engine runtime: commands become events + snapshot changes (see module docstring)."""

    def __init__(self, redis_url: str, prefix: str, wrap_up_seconds: float = WRAP_UP_SECONDS):
        self._redis = redis.Redis.from_url(redis_url, decode_responses=True)
        self._prefix = prefix
        self._lock = threading.RLock()
        self._timers: list[threading.Timer] = []
        self.wrap_up_seconds = wrap_up_seconds
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.refuse: dict[str, str] = {}
        """command name -> the refusal message (ControlError) it answers with."""

    # ------------------------------------------------------------ plumbing

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._redis.close()

    def _record(self, name: str, **args: Any) -> None:
        self.commands.append((name, args))
        if name in self.refuse:
            raise ControlError("refused", self.refuse[name])

    def names(self) -> list[str]:
        return [name for name, _ in self.commands]

    def _key(self, part: str) -> str:
        return snapshot_key(self._prefix, TENANT, part)

    def publish(
        self,
        type_: EventType,
        *,
        agent: str | None = None,
        call_id: str | None = None,
        call_center_id: str | None = None,
        caller: str | None = None,
        data: dict[str, Any] | None = None,
        reason: str = "",
    ) -> int:
        """Append one event with the next sequence (docs/events.md stream shape)."""
        with self._lock:
            stream = event_stream(self._prefix, TENANT)
            newest = self._redis.xrevrange(stream, count=1)
            sequence = sequence_of(str(newest[0][0])) + 1 if newest else 0
            event = DomainEvent(
                type=type_,
                sequence=sequence,
                timestamp=time.time(),
                tenant=TENANT,
                reason=reason or f"test: {type_.value}",
                call_center_id=call_center_id,
                call_id=call_id,
                agent=agent,
                caller=caller,
                data=data or {},
            )
            self._redis.xadd(stream, {"event": encode(event)}, id=entry_id(sequence))
            self._redis.hset(self._key("meta"), "sequence", str(sequence))
            return sequence

    def agent(self, extension: str) -> AgentSnapshot | None:
        raw = self._redis.hget(self._key("agents"), extension)
        return AgentSnapshot.from_dict(json.loads(str(raw))) if raw else None

    def call(self, call_id: str) -> ActiveCallSnapshot | None:
        raw = self._redis.hget(self._key("calls"), call_id)
        return ActiveCallSnapshot.from_dict(json.loads(str(raw))) if raw else None

    def call_center(self, call_center_id: str) -> CallCenterSnapshot | None:
        raw = self._redis.hget(self._key("call_centers"), call_center_id)
        return CallCenterSnapshot.from_dict(json.loads(str(raw))) if raw else None

    def _put(self, part: str, key: str, value: dict[str, Any]) -> None:
        self._redis.hset(self._key(part), key, json.dumps(value))

    def write_agent(self, agent: AgentSnapshot) -> None:
        self._put("agents", agent.extension, agent.to_dict())

    def write_call(self, call: ActiveCallSnapshot) -> None:
        self._put("calls", call.call_id, call.to_dict())

    def write_call_center(self, call_center: CallCenterSnapshot) -> None:
        self._put("call_centers", call_center.id, call_center.to_dict())

    def change_state(
        self,
        extension: str,
        state: AgentState,
        *,
        code: str | None = None,
        cause: StateCause = StateCause.ENGINE,
        by: str = "engine",
    ) -> None:
        with self._lock:
            agent = self.agent(extension)
            previous = agent.state if agent else AgentState.SIGN_OUT
            self.publish(
                EventType.AGENT_STATE_CHANGED,
                agent=extension,
                reason=f"{cause.value} {by} set {state.value}",
                data={
                    "state": state.value,
                    "previous": previous.value,
                    "unavailable_code": code,
                    "cause": cause.value,
                },
            )
            if agent is not None:
                self.write_agent(
                    replace(agent, state=state, state_since=time.time(), unavailable_code=code)
                )

    # ------------------------------------------------------------ the PBX side, driven by tests

    def offer_call(
        self, call_id: str, caller: str, agent: str, call_center_id: str = "7001"
    ) -> None:
        """A caller enters the queue and the engine offers the call to `agent` (phone rings)."""
        with self._lock:
            cc = self.call_center(call_center_id)
            assert cc is not None
            position = len(cc.waiting_calls) + 1
            self.publish(
                EventType.CALL_ADDED,
                call_id=call_id,
                call_center_id=call_center_id,
                caller=caller,
                data={"priority": 0, "position": position, "called": cc.number},
            )
            waiting = WaitingCallSnapshot(call_id, caller, position, 0, time.time())
            self.write_call_center(replace(cc, waiting_calls=(*cc.waiting_calls, waiting)))
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

    def answer(self, call_id: str) -> None:
        """The agent's phone answers the offered call."""
        with self._lock:
            call = self.call(call_id)
            assert call is not None and call.call_center_id is not None
            cc = self.call_center(call.call_center_id)
            assert cc is not None
            waited = [w for w in cc.waiting_calls if w.call_id == call_id]
            left = tuple(w for w in cc.waiting_calls if w.call_id != call_id)
            self.write_call_center(replace(cc, waiting_calls=left))
            self.write_call(replace(call, phase=CallPhase.CONNECTED, since=time.time()))
            wait = time.time() - waited[0].arrived_at if waited else 0.0
            self.publish(
                EventType.CALL_ANSWERED,
                call_id=call_id,
                call_center_id=call.call_center_id,
                caller=call.caller,
                agent=call.agent,
                data={"wait_seconds": round(wait, 3)},
            )
            self.change_state(call.agent, AgentState.BUSY)

    def _end_call(self, call: ActiveCallSnapshot, event: EventType, data: dict[str, Any]) -> None:
        """The call ends; the agent wraps up, and when wrap-up ends becomes available again.

        The call stays in the snapshot during wrap-up so a disposition can still be entered.
        """
        self.publish(
            event,
            call_id=call.call_id,
            call_center_id=call.call_center_id,
            caller=call.caller,
            agent=call.agent,
            data=data,
        )
        self.change_state(call.agent, AgentState.WRAP_UP)

        def wrap_up_done() -> None:
            with self._lock:
                self._redis.hdel(self._key("calls"), call.call_id)
                agent = self.agent(call.agent)
                if agent is not None and agent.state is AgentState.WRAP_UP:
                    self.change_state(call.agent, AgentState.AVAILABLE)

        timer = threading.Timer(self.wrap_up_seconds, wrap_up_done)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    # ------------------------------------------------------------ CallCenterControl

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
        self._record("set_agent_state", extension=extension, state=state, code=unavailable_code)
        self.change_state(extension, state, code=unavailable_code, cause=cause, by=by)

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._record("join_call_center", extension=extension, call_center_id=call_center_id)
        self._membership(extension, call_center_id, join=True)

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        self._record("leave_call_center", extension=extension, call_center_id=call_center_id)
        self._membership(extension, call_center_id, join=False)

    def _membership(self, extension: str, call_center_id: str, *, join: bool) -> None:
        with self._lock:
            cc = self.call_center(call_center_id)
            agent = self.agent(extension)
            if cc is None or agent is None:
                raise ControlError("unknown", "no such call center or agent")
            members = [m for m in cc.members if m != extension]
            centers = [c for c in agent.call_centers if c != call_center_id]
            if join:
                members.append(extension)
                centers.append(call_center_id)
            self.write_call_center(replace(cc, members=tuple(members)))
            self.write_agent(replace(agent, call_centers=tuple(centers)))
            self.publish(
                EventType.AGENT_JOINED if join else EventType.AGENT_LEFT,
                agent=extension,
                call_center_id=call_center_id,
            )

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        self._record("enter_disposition", call_id=call_id, code=code)
        call = self.call(call_id)
        self.publish(
            EventType.DISPOSITION_ENTERED,
            call_id=call_id,
            agent=extension,
            call_center_id=call.call_center_id if call else None,
            caller=call.caller if call else None,
            data={"code": code},
        )

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        self._record("move_call", call_id=call_id, to=to_call_center_id)

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        self._record("promote_call", call_id=call_id, priority=priority)

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        self._record("reorder_call", call_id=call_id, position=position)

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        self._record("retrieve_call", call_id=call_id, extension=extension)

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        self._record("set_night_service_override", call_center_id=call_center_id)

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None:
        self._record("set_forced_forwarding", call_center_id=call_center_id)

    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hold_call", call_id=call_id)
        self._phase(call_id, CallPhase.HELD, EventType.CALL_HELD)

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("resume_call", call_id=call_id)
        self._phase(call_id, CallPhase.CONNECTED, EventType.CALL_RESUMED)

    def _phase(self, call_id: str, phase: CallPhase, event: EventType) -> None:
        with self._lock:
            call = self.call(call_id)
            if call is None:
                raise ControlError("no_call", "the call has ended")
            self.write_call(replace(call, phase=phase))
            self.publish(
                event,
                call_id=call_id,
                call_center_id=call.call_center_id,
                caller=call.caller,
                agent=call.agent,
            )

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        self._record("transfer_call", call_id=call_id, destination=destination)
        with self._lock:
            call = self.call(call_id)
            if call is None:
                raise ControlError("no_call", "the call has ended")
            data = {"destination": destination, "wait_seconds": 0.0, "by": by}
            self._end_call(call, EventType.CALL_TRANSFERRED, data)

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hang_up", call_id=call_id)
        with self._lock:
            call = self.call(call_id)
            if call is None:
                raise ControlError("no_call", "the call has ended")
            talk = round(time.time() - call.since, 3)
            self._end_call(
                call, EventType.CALL_RELEASED, {"talk_seconds": talk, "released_by": "agent"}
            )

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None:
        self._record("record_call", call_id=call_id, enabled=enabled)
        call = self.call(call_id)
        if call is not None:
            self.write_call(replace(call, recording=enabled))

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        self._record("monitor_call", call_id=call_id, extension=extension, mode=mode)

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("stop_monitor", call_id=call_id)

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        self._record("click_to_dial", extension=extension, destination=destination)
        return f"c2d-{len(self.commands)}"

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        raw = self._redis.hgetall(self._key("call_centers"))
        return [CallCenterSnapshot.from_dict(json.loads(v)) for v in raw.values()]

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        raw = self._redis.hgetall(self._key("agents"))
        return [AgentSnapshot.from_dict(json.loads(v)) for v in raw.values()]

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        raw = self._redis.hgetall(self._key("calls"))
        return [ActiveCallSnapshot.from_dict(json.loads(v)) for v in raw.values()]


class CrmScreenPop:
    """The CRM as the screen pop sees it; `records` is editable by tests."""

    def __init__(self) -> None:
        self.records: dict[str, list[ScreenPopRecord]] = {
            "+31201234567": [
                ScreenPopRecord("demo-crm", "c-42", "Anna de Vries", "https://crm.example/c/42"),
                ScreenPopRecord(
                    "demo-crm",
                    "a-7",
                    "Jansen Installatietechniek B.V.",
                    "https://crm.example/a/7",
                    kind="account",
                ),
            ]
        }

    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        return tuple(self.records.get(number.replace(" ", ""), ()))


def seed_snapshot(control: DeskControl) -> None:
    """The demo company's call centers (7001 with two waiting calls) and agents, signed out."""
    now = time.time()
    for cc, members in MEMBERS.items():
        name, tier, max_waiters = NAMES[cc]
        waiting: tuple[WaitingCallSnapshot, ...] = ()
        if cc == "7001":
            waiting = (
                WaitingCallSnapshot("w-1", "+31301112233", 1, 0, now - 42),
                WaitingCallSnapshot("w-2", "+31612345678", 2, 0, now - 7),
            )
        control.write_call_center(
            CallCenterSnapshot(cc, cc, name, tier, max_waiters, members, waiting)
        )
    for number in range(1001, 1011):
        ext = str(number)
        state = AgentState.AVAILABLE if ext in ("1002", "1008") else AgentState.SIGN_OUT
        control.write_agent(
            AgentSnapshot(
                extension=ext,
                state=state,
                state_since=now - 300,
                call_centers=tuple(cc for cc, m in MEMBERS.items() if ext in m),
                name=f"Agent {ext}",
            )
        )


@dataclass
class Desk:
    """A running web process (CTI API + agent UI) over the fake runtime."""

    control: DeskControl
    screen_pop: CrmScreenPop
    prefix: str
    database_url: str
    port: int = field(default_factory=free_port)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def agent_url(self) -> str:
        return f"{self.base_url}/agent/"

    def build_app(self) -> FastAPI:
        settings = CtiSettings(
            token_secret=TOKEN_SECRET,
            redis_url=REDIS_URL,
            key_prefix=self.prefix,
            database_url=self.database_url,
            password_cost=TEST_COST,
            control=self.control,
            screen_pop=self.screen_pop,
            fanout_block_ms=50,
        )
        app = create_app(settings)
        # The web process may already serve the client; mount it here only if it does not.
        if not any(getattr(route, "path", "") == "/agent" for route in app.router.routes):
            agent_ui.mount(app, config=agent_ui.AgentUiConfig(wrap_up_seconds=3))
        return app

    def start(self) -> Desk:
        config = uvicorn.Config(
            self.build_app(), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_until_healthy(self.base_url)
        return self

    def stop(self) -> None:
        """Stop the server; uvicorn closes open websockets (1012), as in a restart."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server = None
        self._thread = None


def make_desk(database_path: str) -> Desk:
    prefix = new_prefix()
    database_url = f"sqlite:///{database_path}"
    seed_users(database_url)
    control = DeskControl(REDIS_URL, prefix)
    seed_snapshot(control)
    return Desk(control, CrmScreenPop(), prefix, database_url)


def delete_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()

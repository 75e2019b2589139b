"""The demo company as the engine would publish it, a control that behaves like the engine,
and the CTI web process (with the dashboard mounted) on a free port.

Everything lives under a Redis key prefix of its own; nothing is ever flushed.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from redis.asyncio import Redis

from cti.app import create_app
from cti.control import ControlError, MonitorMode
from cti.event_log import EventLog
from cti.passwords import TEST_COST
from cti.principal import Role
from cti.settings import CtiSettings
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    CallPhase,
    SnapshotStore,
    StateCause,
    TenantSnapshot,
    WaitingCallSnapshot,
)
from cti.users import UserDirectory, make_engine, seed_demo_users
from queueing.events import DomainEvent, EventType
from supervisor_ui import mount
from tests.pbx_core.support import free_port
from tests.product_harness import LoopThread
from tests.report_day import seed_report_day as seed_known_day

REDIS_URL = "redis://127.0.0.1:6379/0"
TENANT = "demo"
TOKEN_SECRET = "supervisor-ui-test-secret-0123456789abcdef"
CENTERS = {
    "7001": ("Helpdesk", "Basic", 25, ("1001", "1002", "1003")),
    "7002": ("Sales", "Standard", 50, ("1004", "1005", "1006")),
    "7003": ("Service", "Premium", 525, ("1001", "1007", "1008", "1009", "1010")),
}
SERVICE_LEVEL_SECONDS = {"7001": 20, "7002": 30, "7003": 20}
"""Each call center's service-level setting; two differ, so the board and the reports must each
use the call center's own (a fixed 20 s would show the same figure for both)."""
T = TypeVar("T")


def new_prefix() -> str:
    return f"svtest:{uuid.uuid4().hex[:12]}"


def seed_users(database_url: str) -> None:
    directory = UserDirectory(make_engine(database_url), TEST_COST)
    seed_demo_users(directory)
    directory.add_user(TENANT, "helpdesk-lead", "pwlead", Role.SUPERVISOR, call_centers=["7001"])


REPORT_DAY = "2025-11-25"
"""The local day of the synthetic report data (`reports.synthetic`, 07:00-19:00 UTC)."""


def seed_report_day(database_url: str) -> None:
    """The known report day (`tests/report_day.py`) in the web process's database; the live
    board's stream stays untouched."""
    seed_known_day(database_url, REDIS_URL, TENANT)


def demo_snapshot(now: float) -> TenantSnapshot:
    centers = [
        CallCenterSnapshot(
            id=cc,
            number=cc,
            name=n,
            tier=t,
            max_waiters=m,
            members=members,
            service_level_seconds=SERVICE_LEVEL_SECONDS[cc],
        )
        for cc, (n, t, m, members) in CENTERS.items()
    ]
    agents = [
        AgentSnapshot(
            extension=str(e),
            state=AgentState.SIGN_OUT,
            state_since=now - 60,
            call_centers=tuple(cc for cc, v in CENTERS.items() if str(e) in v[3]),
            name=f"Agent {e}",
        )
        for e in range(1001, 1011)
    ]
    return TenantSnapshot(centers, agents, [], sequence=-1, written_at=now)


class Publisher:
    """Writes snapshot + event like the engine runtime does (snapshot first, then the event)."""

    def __init__(self, prefix: str, redis_url: str = REDIS_URL) -> None:
        self.prefix = prefix
        self.redis_url = redis_url

    async def _with(self, work: Callable[[SnapshotStore, EventLog], Awaitable[T]]) -> T:
        redis = Redis.from_url(self.redis_url, decode_responses=True)
        try:
            return await work(SnapshotStore(redis, self.prefix), EventLog(redis, self.prefix))
        finally:
            await redis.aclose()

    async def seed(self) -> None:
        async def work(store: SnapshotStore, _: EventLog) -> None:
            await store.write(TENANT, demo_snapshot(time.time()))

        await self._with(work)

    async def delete_all(self) -> None:
        redis = Redis.from_url(self.redis_url, decode_responses=True)
        try:
            keys = [k async for k in redis.scan_iter(match=f"{self.prefix}:*", count=500)]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()

    @staticmethod
    async def _event(log: EventLog, type_: EventType, **fields: Any) -> DomainEvent:
        event = DomainEvent(
            type=type_,
            sequence=await log.last_sequence(TENANT) + 1,
            timestamp=time.time(),
            tenant=TENANT,
            reason=str(fields.pop("reason", f"test {type_.value}")),
            **fields,
        )
        await log.append(event)
        return event

    async def add_waiting(
        self, cc: str, call_id: str, caller: str, priority: int = 0, arrived_at: float | None = None
    ) -> DomainEvent:
        async def work(store: SnapshotStore, log: EventLog) -> DomainEvent:
            center = await store.call_center(TENANT, cc)
            assert center is not None
            waiting = WaitingCallSnapshot(
                call_id, caller, len(center.waiting_calls) + 1, priority, arrived_at or time.time()
            )
            await store.write_call_center(
                TENANT, replace(center, waiting_calls=(*center.waiting_calls, waiting))
            )
            return await self._event(
                log,
                EventType.CALL_ADDED,
                call_center_id=cc,
                call_id=call_id,
                caller=caller,
                data={"priority": priority, "position": waiting.position, "called": cc},
            )

        return await self._with(work)

    async def _take(self, store: SnapshotStore, call_id: str) -> tuple[str, WaitingCallSnapshot]:
        found = await store.find_waiting_call(TENANT, call_id)
        if found is None:
            raise ControlError("not_waiting", f"call {call_id} is not waiting")
        center, waiting = found
        rest = tuple(
            replace(w, position=i + 1)
            for i, w in enumerate(w for w in center.waiting_calls if w.call_id != call_id)
        )
        await store.write_call_center(TENANT, replace(center, waiting_calls=rest))
        return center.id, waiting

    async def answer(self, call_id: str, agent: str) -> DomainEvent:
        async def work(store: SnapshotStore, log: EventLog) -> DomainEvent:
            cc, waiting = await self._take(store, call_id)
            now = time.time()
            await store.write_call(
                TENANT,
                ActiveCallSnapshot(call_id, agent, waiting.caller, CallPhase.CONNECTED, now, cc),
            )
            return await self._event(
                log,
                EventType.CALL_ANSWERED,
                call_center_id=cc,
                call_id=call_id,
                caller=waiting.caller,
                agent=agent,
                data={"wait_seconds": round(now - waiting.arrived_at, 3)},
            )

        return await self._with(work)

    async def move(self, call_id: str, to: str, by: str) -> None:
        async def work(store: SnapshotStore, log: EventLog) -> None:
            cc, waiting = await self._take(store, call_id)
            target = await store.call_center(TENANT, to)
            assert target is not None
            moved = replace(waiting, position=len(target.waiting_calls) + 1)
            await store.write_call_center(
                TENANT, replace(target, waiting_calls=(*target.waiting_calls, moved))
            )
            wait = round(time.time() - waiting.arrived_at, 3)
            await self._event(
                log,
                EventType.CALL_TRANSFERRED,
                call_center_id=cc,
                call_id=call_id,
                caller=waiting.caller,
                data={"destination": to, "wait_seconds": wait, "by": by},
            )
            await self._event(
                log,
                EventType.CALL_ADDED,
                call_center_id=to,
                call_id=call_id,
                caller=waiting.caller,
                reason=f"moved from {cc} by {by}",
                data={"priority": waiting.priority, "position": moved.position, "called": to},
            )

        await self._with(work)

    async def set_agent(self, extension: str, state: AgentState, code: str | None) -> None:
        async def work(store: SnapshotStore, log: EventLog) -> None:
            agent = await store.agent(TENANT, extension)
            assert agent is not None
            await store.write_agent(
                TENANT,
                replace(agent, state=state, state_since=time.time(), unavailable_code=code),
            )
            await self._event(
                log,
                EventType.AGENT_STATE_CHANGED,
                agent=extension,
                data={
                    "state": state.value,
                    "previous": agent.state.value,
                    "unavailable_code": code,
                    "cause": "supervisor",
                },
            )

        await self._with(work)

    async def events(self) -> list[DomainEvent]:
        async def work(_: SnapshotStore, log: EventLog) -> list[DomainEvent]:
            return [e async for e in log.read_after(TENANT, -1)]

        return await self._with(work)


@dataclass
class EngineLikeControl:
    """The `CallCenterControl` the tests run with: records every command; moves and agent states
    take effect as the engine's would (snapshot, then event); `refuse` names commands to refuse."""

    publisher: Publisher
    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse: dict[str, tuple[str, str]] = field(default_factory=dict)

    def _record(self, name: str, **args: Any) -> None:
        self.commands.append((name, args))
        if name in self.refuse:
            code, message = self.refuse[name]
            raise ControlError(code, message)

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
        self._record("set_agent_state", extension=extension, state=state.value, by=by)
        await self.publisher.set_agent(extension, state, unavailable_code)

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        self._record("move_call", call_id=call_id, to=to_call_center_id, by=by)
        await self.publisher.move(call_id, to_call_center_id, by)

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        self._record("promote_call", call_id=call_id, priority=priority)

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        self._record("reorder_call", call_id=call_id, position=position)

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        self._record("retrieve_call", call_id=call_id, extension=extension)

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        self._record("set_night_service_override", cc=call_center_id, override=override)

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None:
        self._record("set_forced_forwarding", cc=call_center_id, enabled=enabled, to=destination)

    async def join_call_center(self, tenant: str, extension: str, cc: str, *, by: str) -> None:
        self._record("join_call_center", extension=extension, cc=cc)

    async def leave_call_center(self, tenant: str, extension: str, cc: str, *, by: str) -> None:
        self._record("leave_call_center", extension=extension, cc=cc)

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        self._record("enter_disposition", call_id=call_id, code=code)

    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hold_call", call_id=call_id)

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("resume_call", call_id=call_id)

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        self._record("transfer_call", call_id=call_id, destination=destination)

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("hang_up", call_id=call_id)

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None:
        self._record("record_call", call_id=call_id, enabled=enabled)

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        self._record("monitor_call", call_id=call_id, extension=extension, mode=mode.value)

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None:
        self._record("stop_monitor", call_id=call_id)

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        self._record("click_to_dial", extension=extension, destination=destination)
        return "c2d"

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        return []

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        return []

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        return []


class WebServer:
    """The CTI app with the dashboard mounted, under uvicorn in a thread, on a free port."""

    def __init__(
        self, prefix: str, database_url: str, control: Any, port: int | None = None
    ) -> None:
        settings = CtiSettings(
            token_secret=TOKEN_SECRET,
            redis_url=REDIS_URL,
            key_prefix=prefix,
            database_url=database_url,
            password_cost=TEST_COST,
            control=control,
            fanout_block_ms=50,
        )
        app = create_app(settings)
        # As the product mounts it: no settings, so it follows the CTI app's Redis and prefix.
        self.dashboard = mount(app)
        self.port = port or free_port(socket.SOCK_STREAM)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


@dataclass
class World:
    server: WebServer
    control: EngineLikeControl
    publisher: Publisher
    prefix: str
    loop: LoopThread
    database_url: str = ""

    def restart(self) -> None:
        """Stops the web process and starts a new one (new app, new Dash) on the same port."""
        port = self.server.port
        self.server.stop()
        self.server = WebServer(self.prefix, self.database_url, self.control, port).start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(work)


def start_world(tmp: Path) -> World:
    prefix = new_prefix()
    database_url = f"sqlite:///{tmp / 'cti.db'}"
    seed_users(database_url)
    publisher = Publisher(prefix)
    loop = LoopThread()
    loop.run(publisher.seed())
    control = EngineLikeControl(publisher)
    server = WebServer(prefix, database_url, control).start()
    return World(server, control, publisher, prefix, loop, database_url)


def stop_world(world: World) -> None:
    world.server.stop()
    try:
        world.run(world.publisher.delete_all())
    finally:
        world.loop.stop()

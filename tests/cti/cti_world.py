"""The demo company (and a second tenant) as the tests see it: users in SQL, snapshot in Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from cti.passwords import TEST_COST
from cti.principal import Role
from cti.screen_pop import ScreenPopRecord
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    CallPhase,
    SnapshotStore,
    TenantSnapshot,
    WaitingCallSnapshot,
)
from cti.users import UserDirectory, make_engine, seed_demo_users
from tests.cti.cti_fake_control import FakeControl
from tests.cti.cti_server import ThreadServer

DEMO = "demo"
OTHER = "acme"

MEMBERS = {
    "7001": ("1001", "1002", "1003"),
    "7002": ("1004", "1005", "1006"),
    "7003": ("1001", "1007", "1008", "1009", "1010"),
}
NAMES = {"7001": ("Helpdesk", "Basic", 25), "7002": ("Sales", "Standard", 50)}
NAMES["7003"] = ("Service", "Premium", 525)


def seed_users(database_url: str) -> None:
    directory = UserDirectory(make_engine(database_url), TEST_COST)
    seed_demo_users(directory)
    # A supervisor of Helpdesk only (with its own phone, 1099), and a second tenant with its own
    # people.
    directory.add_user(
        DEMO, "helpdesk-lead", "pwlead", Role.SUPERVISOR, extension="1099", call_centers=["7001"]
    )
    # An agent account nobody has given an extension yet.
    directory.add_user(DEMO, "trainee", "pwtrainee", Role.AGENT)
    directory.add_user(OTHER, "1001", "pwacme1001", Role.AGENT, extension="1001")
    directory.add_user(OTHER, "admin", "pwacmeadmin", Role.ADMIN)
    directory.add_user(OTHER, "boss", "pwboss", Role.SUPERVISOR, call_centers=["8001"])


def demo_snapshot(now: float | None = None) -> TenantSnapshot:
    t = time.time() if now is None else now
    call_centers = [
        CallCenterSnapshot(
            id=cc,
            number=cc,
            name=NAMES[cc][0],
            tier=NAMES[cc][1],
            max_waiters=NAMES[cc][2],
            members=members,
            waiting_calls=(
                (
                    WaitingCallSnapshot("w-1", "+31201234567", 1, 0, t - 30),
                    WaitingCallSnapshot("w-2", "+31209999999", 2, 0, t - 5),
                )
                if cc == "7001"
                else (WaitingCallSnapshot(f"w-{cc}", "+31100000000", 1, 0, t - 1),)
            ),
        )
        for cc, members in MEMBERS.items()
    ]
    agents = [
        AgentSnapshot(
            extension=str(ext),
            state=AgentState.SIGN_OUT,
            state_since=t - 60,
            call_centers=tuple(cc for cc, m in MEMBERS.items() if str(ext) in m),
            name=f"Agent {ext}",
        )
        for ext in range(1001, 1011)
    ]
    calls = [
        ActiveCallSnapshot("a-1001", "1001", "+31201234567", CallPhase.CONNECTED, t - 10, "7001"),
        ActiveCallSnapshot("a-1004", "1004", "+31205555555", CallPhase.CONNECTED, t - 10, "7002"),
    ]
    return TenantSnapshot(call_centers, agents, calls, sequence=0, written_at=t)


def other_snapshot(now: float | None = None) -> TenantSnapshot:
    t = time.time() if now is None else now
    return TenantSnapshot(
        call_centers=[
            CallCenterSnapshot(
                "8001",
                "8001",
                "Acme Support",
                "Basic",
                10,
                members=("1001",),
                waiting_calls=(WaitingCallSnapshot("acme-w", "+4930111", 1, 0, t - 3),),
            )
        ],
        agents=[AgentSnapshot("1001", AgentState.AVAILABLE, t, call_centers=("8001",))],
        calls=[ActiveCallSnapshot("acme-call", "1001", "+4930111", CallPhase.CONNECTED, t, "8001")],
    )


async def write_snapshots(redis: Redis, prefix: str) -> None:
    store = SnapshotStore(redis, prefix)
    await store.write(DEMO, demo_snapshot())
    await store.write(OTHER, other_snapshot())


@dataclass
class ManualClock:
    """The app's wall clock (`CtiSettings.clock`), moved by the test instead of by waiting."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class World:
    """A running API (uvicorn thread) over the seeded demo company and a second tenant."""

    server: ThreadServer
    control: FakeControl
    prefix: str
    database_url: str
    screen_pop: StaticScreenPop
    clock: ManualClock


class StaticScreenPop:
    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        if tenant == "demo" and number.replace(" ", "") == "+31201234567":
            return (
                ScreenPopRecord(
                    "demo-crm", "42", "Jansen Installatietechniek B.V.", "https://crm.example/42"
                ),
            )
        return ()


async def wait_for_subscribers(world: World, count: int, timeout: float = 30.0) -> None:
    """Wait until the server's fan-out has `count` registered subscribers: live-only
    subscriptions see only events appended after that (a fixed sleep is a race on busy CI)."""
    services = world.server.app.state.services
    async with asyncio.timeout(timeout):
        while services.fanout.stats.subscribers < count:
            await asyncio.sleep(0.02)

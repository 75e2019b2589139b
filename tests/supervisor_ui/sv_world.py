"""The demo company as the engine would publish it, the tests' control that behaves like the
engine (`tests.cti.cti_fake_control.FakeControl`, which tests also drive as the PBX's side:
`add_waiting`, `answer`), and the CTI web process (with the dashboard mounted) on a free port.

Everything lives under a Redis key prefix of its own; nothing is ever flushed.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from redis.asyncio import Redis

from cti.app import create_app
from cti.passwords import TEST_COST
from cti.principal import Role
from cti.settings import CtiSettings
from cti.snapshots import (
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    SnapshotStore,
    TenantSnapshot,
)
from cti.users import UserDirectory, make_engine, seed_demo_users
from supervisor_ui import mount
from tests.cti.cti_fake_control import FakeControl
from tests.cti.cti_redis_testkit import delete_prefix
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


async def seed(prefix: str) -> None:
    """The demo company's snapshot, written as the runtime writes it."""
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await SnapshotStore(redis, prefix).write(TENANT, demo_snapshot(time.time()))
    finally:
        await redis.aclose()


async def delete_all(prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await delete_prefix(redis, prefix)
    finally:
        await redis.aclose()


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
    control: FakeControl
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
    loop = LoopThread()
    loop.run(seed(prefix))
    control = FakeControl(REDIS_URL, prefix)
    server = WebServer(prefix, database_url, control).start()
    return World(server, control, prefix, loop, database_url)


def stop_world(world: World) -> None:
    world.server.stop()
    world.control.close()
    try:
        world.run(delete_all(world.prefix))
    finally:
        world.loop.stop()

"""The agent client's test world: the real CTI app (uvicorn thread) with the agent UI mounted,
the tests' fake engine runtime (`tests.cti.cti_fake_control.FakeControl`, which tests also drive
as the PBX's side: `offer_call`, `answer`), and the demo company in SQL and Redis.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis
import uvicorn
from fastapi import FastAPI

import agent_ui
from cti.app import create_app
from cti.passwords import TEST_COST
from cti.screen_pop import ScreenPopRecord
from cti.settings import CtiSettings
from cti.snapshots import (
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    WaitingCallSnapshot,
)
from tests.cti.cti_fake_control import FakeControl
from tests.cti.cti_server import TOKEN_SECRET, wait_until_healthy
from tests.cti.cti_world import MEMBERS, NAMES, seed_users
from tests.ports import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def new_prefix() -> str:
    return f"agentuitest:{uuid.uuid4().hex[:12]}"


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


def seed_snapshot(control: FakeControl) -> None:
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

    control: FakeControl
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
    control = FakeControl(REDIS_URL, prefix)
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

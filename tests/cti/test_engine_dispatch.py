"""The runtime's two dispatches (engine commands to the PBX, PBX events to engine inputs) fail
loudly on a kind they do not know, instead of dropping it; mypy checks them exhaustive, this
checks what happens when a kind slips past it (an untyped caller, a stale PBX build)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_pbx import PbxAdapter
from cti.engine_runtime import EngineRuntime
from cti.engine_tenant import EngineTenant
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core import call_control as pbx
from pbx_core.media.spoken import SpokenPrompts
from queueing.engine import Engine

OPEN = datetime(2025, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()
"""A Wednesday morning: the demo call centers are open, so a new call waits in its queue."""


@dataclass
class UnknownKind:
    """A command or event of a kind the runtime was not written for."""

    call_id: str


class RecordingPbx:
    def __init__(self) -> None:
        self.sent: list[pbx.CallCommand] = []

    def send(self, command: pbx.CallCommand) -> None:
        self.sent.append(command)


@pytest.fixture
async def runtime(redis: Redis, prefix: str) -> AsyncIterator[EngineRuntime]:
    """Not started: feeding and translating need no Redis until the publisher runs."""
    instance = EngineRuntime(
        [demo_tenant_config()],
        RecordingPbx(),
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        clock=lambda: OPEN,
    )
    yield instance
    await instance.stop()


async def test_a_pbx_event_of_an_unknown_kind_fails_loudly(runtime: EngineRuntime) -> None:
    await runtime.on_call_event(
        pbx.CallOffered("c-1", "+31201234567", "7001", pbx.CallSource.TRUNK)
    )
    assert [c.call_id for c in await runtime.active_calls("demo")] == []  # waiting, not offered
    assert [w.call_id for w in (await runtime.call_centers("demo"))[0].waiting_calls] == ["c-1"]
    # Listed as having no effect on the engine: accepted quietly.
    await runtime.on_call_event(pbx.CallRinging("c-1", "leg-1", "1001"))
    with pytest.raises(AssertionError, match="UnknownKind"):
        await runtime.on_call_event(UnknownKind("c-1"))  # type: ignore[arg-type]


async def test_an_engine_command_of_an_unknown_kind_fails_loudly(tmp_path: Path) -> None:
    port = RecordingPbx()
    holder = EngineTenant(Engine(demo_tenant_config()))
    adapter = PbxAdapter(
        port, {"demo": holder}, language="nl", feed=lambda *_: None, spoken=SpokenPrompts(tmp_path)
    )
    with pytest.raises(AssertionError, match="UnknownKind"):
        adapter.execute("demo", holder, UnknownKind("c-1"))  # type: ignore[arg-type]
    assert port.sent == []

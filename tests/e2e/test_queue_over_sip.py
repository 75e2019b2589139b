"""The queue engine driving the real PBX: SIPp callers on the trunk, SIPp agent phones."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cti.control import ControlError, MonitorMode
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import AgentState, CallPhase, SnapshotStore, StateCause
from pbx_core import call_control as pbx_cc
from pbx_core.service import PbxService
from queueing.events import DomainEvent, EventType
from tests.e2e.conftest import running_runtime
from tests.pbx_core.support import EventLog as PbxEvents
from tests.pbx_core.support import Sipp, SippResult, agent_phone, free_port, run_sipp

CALLER = "+31201234567"


async def stream_events(redis: Redis, prefix: str) -> list[DomainEvent]:
    return [event async for event in EventLog(redis, prefix).read_after("demo", -1)]


async def wait_for(
    redis: Redis, prefix: str, kind: EventType, timeout: float = 20.0, **match: object
) -> DomainEvent:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in await stream_events(redis, prefix):
            if event.type is kind and all(getattr(event, k) == v for k, v in match.items()):
                return event
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} {match} within {timeout} s")


def caller(pbx: PbxService, tmp_path: Path, number: str, hold_ms: int) -> dict[str, object]:
    return {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": CALLER, "to": number, "media_port": free_port(), "hold_ms": hold_ms},
    }


async def test_caller_waits_in_7001_until_an_agent_becomes_available(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    prefix = redis_prefix.rstrip(":")
    phone = await agent_phone(pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        call = asyncio.create_task(
            run_sipp("trunk_call.xml", **caller(pbx, tmp_path, "7001", 6000))
        )
        added = await wait_for(redis, prefix, EventType.CALL_ADDED)
        assert added.call_center_id == "7001" and added.caller == CALLER
        snapshot = await SnapshotStore(redis, prefix).call_center("demo", "7001")
        assert snapshot is not None and [w.call_id for w in snapshot.waiting_calls] == [
            added.call_id
        ]
        await runtime.set_agent_state(
            "demo", "1001", AgentState.AVAILABLE, unavailable_code=None,
            cause=StateCause.AGENT, by="1001",
        )  # fmt: skip
        offered = await wait_for(redis, prefix, EventType.CALL_OFFERED, call_id=added.call_id)
        assert offered.agent == "1001"
        await wait_for(redis, prefix, EventType.CALL_ANSWERED, call_id=added.call_id)
        result = await call
        assert result.returncode == 0, result.errors
        released = await wait_for(redis, prefix, EventType.CALL_RELEASED, call_id=added.call_id)
        assert released.data["released_by"] == "caller"
        wrap = await wait_for(redis, prefix, EventType.AGENT_STATE_CHANGED, agent="1001")
        assert wrap.sequence > 0
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    sequences = [e.sequence for e in await stream_events(redis, prefix)]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    kinds = [e.type for e in await stream_events(redis, prefix) if e.call_id == added.call_id]
    assert kinds.index(EventType.CALL_ADDED) < kinds.index(EventType.CALL_OFFERED)
    assert kinds.index(EventType.CALL_ANSWERED) < kinds.index(EventType.CALL_RELEASED)


async def test_sales_is_stranded_busy_when_every_agent_is_signed_out(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    result = await run_sipp("trunk_call_rejected.xml", **caller(pbx, tmp_path, "7002", 1000))
    assert result.returncode == 0, result.errors
    stranded = await wait_for(redis, redis_prefix.rstrip(":"), EventType.CALL_STRANDED)
    assert stranded.data["trigger"] == "all_signed_out" and stranded.data["action"] == "busy"


async def test_caller_hanging_up_while_waiting_is_abandoned(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    result = await run_sipp("trunk_call.xml", **caller(pbx, tmp_path, "7001", 1500))
    assert result.returncode == 0, result.errors
    abandoned = await wait_for(redis, redis_prefix.rstrip(":"), EventType.CALL_ABANDONED)
    assert abandoned.call_center_id == "7001"
    assert await pbx.active_calls() == []


async def test_restarted_runtime_keeps_agent_states_and_sequence(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str
) -> None:
    await runtime.set_agent_state(
        "demo", "1004", AgentState.UNAVAILABLE, unavailable_code="lunch",
        cause=StateCause.AGENT, by="1004",
    )  # fmt: skip
    await runtime.stop()
    prefix = redis_prefix.rstrip(":")
    async with running_runtime(pbx, redis, prefix) as again:
        agents = {a.extension: a for a in await again.agents("demo")}
        assert agents["1004"].state is AgentState.UNAVAILABLE
        assert agents["1004"].unavailable_code == "lunch"
        await again.set_agent_state(
            "demo", "1004", AgentState.AVAILABLE, unavailable_code=None,
            cause=StateCause.AGENT, by="1004",
        )  # fmt: skip
        sequences = [e.sequence for e in await stream_events(redis, prefix)]
        assert sequences == list(range(1, len(sequences) + 1))


async def test_agent_hanging_up_ends_the_call_for_the_caller(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    prefix = redis_prefix.rstrip(":")
    await runtime.set_agent_state(
        "demo", "1004", AgentState.AVAILABLE, unavailable_code=None,
        cause=StateCause.AGENT, by="1004",
    )  # fmt: skip
    phone = await agent_phone(pbx.config.sip_port, "1004", "agent_answer_hangup.xml", tmp_path)
    try:
        result = await run_sipp("trunk_call_remote_bye.xml", **caller(pbx, tmp_path, "7002", 0))
        assert result.returncode == 0, result.errors  # the caller got the BYE
        released = await wait_for(redis, prefix, EventType.CALL_RELEASED)
        assert released.data["released_by"] == "agent" and released.agent == "1004"
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    assert await pbx.active_calls() == []


async def _talking_to_1004(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, prefix: str, tmp_path: Path
) -> tuple[Sipp, asyncio.Task[SippResult], str]:
    """Agent 1004 AVAILABLE with a SIPp phone that answers; a trunk caller to 7002 that talks
    8 s, then hangs up. Returns the phone, the caller's run and the answered call's id."""
    await runtime.set_agent_state(
        "demo", "1004", AgentState.AVAILABLE, unavailable_code=None,
        cause=StateCause.AGENT, by="1004",
    )  # fmt: skip
    phone = await agent_phone(pbx.config.sip_port, "1004", "agent_answer.xml", tmp_path)
    call = asyncio.create_task(run_sipp("trunk_call.xml", **caller(pbx, tmp_path, "7002", 8000)))
    call_id = (await wait_for(redis, prefix, EventType.CALL_ANSWERED)).call_id
    assert call_id is not None
    return phone, call, call_id


async def test_agent_holds_and_resumes_through_the_api(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    prefix = redis_prefix.rstrip(":")
    snapshots = SnapshotStore(redis, prefix)
    phone, call, call_id = await _talking_to_1004(pbx, runtime, redis, prefix, tmp_path)
    try:
        with pytest.raises(ControlError) as not_held:
            await runtime.resume_call("demo", call_id, by="1004")
        assert not_held.value.code == "wrong_phase"

        await runtime.hold_call("demo", call_id, by="1004")
        held = await wait_for(redis, prefix, EventType.CALL_HELD, call_id=call_id)
        assert held.agent == "1004"
        active = await snapshots.call("demo", call_id)
        assert active is not None and active.phase is CallPhase.HELD
        with pytest.raises(ControlError) as twice:
            await runtime.hold_call("demo", call_id, by="1004")
        assert twice.value.code == "wrong_phase"

        await runtime.resume_call("demo", call_id, by="1004")
        await wait_for(redis, prefix, EventType.CALL_RESUMED, call_id=call_id)
        active = await snapshots.call("demo", call_id)
        assert active is not None and active.phase is CallPhase.CONNECTED

        result = await call
        assert result.returncode == 0, result.errors
        released = await wait_for(redis, prefix, EventType.CALL_RELEASED)
        assert released.data["released_by"] == "caller"
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()


async def test_supervisor_listens_in_from_own_phone_through_the_runtime(
    pbx: PbxService,
    runtime: EngineRuntime,
    events: PbxEvents,
    redis: Redis,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    prefix = redis_prefix.rstrip(":")
    supervisor = await agent_phone(pbx.config.sip_port, "1009", "agent_answer.xml", tmp_path)
    agent, call, call_id = await _talking_to_1004(pbx, runtime, redis, prefix, tmp_path)
    try:
        with pytest.raises(ControlError) as unregistered:
            await runtime.monitor_call("demo", call_id, "1008", MonitorMode.LISTEN, by="lead")
        assert unregistered.value.code == "monitor_failed"
        assert "not_registered" in unregistered.value.message

        await runtime.monitor_call("demo", call_id, "1009", MonitorMode.LISTEN, by="lead")
        await events.next_of(pbx_cc.MonitorStarted, call_id=call_id, extension="1009")
        with pytest.raises(ControlError) as second:
            await runtime.monitor_call("demo", call_id, "1005", MonitorMode.LISTEN, by="boss")
        assert second.value.code == "already_monitored"

        await runtime.stop_monitor("demo", call_id, by="lead")
        ended = await events.next_of(pbx_cc.MonitorEnded, call_id=call_id, extension="1009")
        assert ended.reason == "stopped"
        assert (await supervisor.wait()).returncode == 0  # BYE to the supervisor's phone
        with pytest.raises(ControlError) as nobody:
            await runtime.stop_monitor("demo", call_id, by="lead")
        assert nobody.value.code == "not_monitored"

        result = await call
        assert result.returncode == 0, result.errors  # the call went on undisturbed
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()
        supervisor.kill()

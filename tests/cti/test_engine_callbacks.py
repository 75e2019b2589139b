"""The runtime carries a callback out (cti/engine_pbx.py, docs/callback.md): the caller's DTMF
reaches the engine's menu, the confirmation ends with the caller hung up, and in its turn the
callback is a click-to-dial (`pbx.Dial`: the agent first, then the number) whose legs come back
as the engine's callback inputs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core import call_control as pbx
from queueing.inputs import AgentState, CallbackBooked, SetAgentState, TimerFired
from queueing.state import Phase

OPEN = datetime(2025, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()


class RecordingPbx:
    def __init__(self) -> None:
        self.sent: list[pbx.CallCommand] = []

    def send(self, command: pbx.CallCommand) -> None:
        self.sent.append(command)


def phase_of(engine_runtime: EngineRuntime, call_id: str) -> Phase:
    return engine_runtime._tenants["demo"].engine.state.calls[call_id].phase


@pytest.fixture
async def runtime(redis: Redis, prefix: str) -> AsyncIterator[tuple[EngineRuntime, RecordingPbx]]:
    port = RecordingPbx()
    instance = EngineRuntime(
        [demo_tenant_config()],
        port,
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        clock=lambda: OPEN,
    )
    yield instance, port
    await instance.stop()


async def test_a_caller_who_presses_1_is_called_back_through_a_click_to_dial(
    runtime: tuple[EngineRuntime, RecordingPbx],
) -> None:
    engine_runtime, port = runtime
    on = engine_runtime.on_call_event
    engine_runtime.feed("demo", SetAgentState("1001", AgentState.AVAILABLE))
    await on(pbx.CallOffered("b", "1005", "7001", pbx.CallSource.EXTENSION))
    [offer] = [c for c in port.sent if isinstance(c, pbx.OfferCall)]
    await on(pbx.CallAnswered("b", offer.leg_id, "1001"))
    await on(pbx.CallOffered("a", "1006", "7001", pbx.CallSource.EXTENSION))
    await on(pbx.MediaFinished("a", "welcome_nl"))

    await on(pbx.DtmfReceived("a", "1"))
    await on(pbx.DtmfReceived("a", "1"))
    confirm = [c for c in port.sent if isinstance(c, pbx.PlayPrompt) and c.call_id == "a"][-1]
    assert confirm.prompt == "callback_confirm_nl"
    await on(pbx.MediaFinished("a", confirm.prompt))
    assert pbx.Hangup("a", 200, "OK") in port.sent
    await on(pbx.CallHungUp("a", pbx.HangupSide.PBX))
    state = engine_runtime._tenants["demo"].engine.state
    assert state.calls["a"].callback == "1006"
    [helpdesk] = [c for c in await engine_runtime.call_centers("demo") if c.id == "7001"]
    assert [(w.call_id, w.callback) for w in helpdesk.waiting_calls] == [("a", True)]

    # The caller in front is served; the agent's wrap-up ends; then the callback is dialled.
    await on(pbx.CallHungUp("b", pbx.HangupSide.CALLER))
    [wrap_up] = [t for t, (kind, _) in state.timers.items() if kind == "wrap_up"]
    engine_runtime.feed("demo", TimerFired(wrap_up))
    [dial] = [c for c in port.sent if isinstance(c, pbx.Dial)]
    assert (dial.extension, dial.destination, dial.tenant, dial.route, dial.intro) == (
        "1001",
        "1006",
        "demo",
        "7001",
        "callback_intro_nl",
    )
    assert dial.call_id.startswith("a~callback~")  # its own id: the caller's is "a"
    await on(pbx.CallRinging(dial.call_id, "agent", "1001"))
    await on(pbx.CallAnswered(dial.call_id, "agent", "1001"))
    assert phase_of(engine_runtime, "a") is Phase.DIALING
    await on(pbx.CallRinging(dial.call_id, "destination", "1006"))
    await on(pbx.CallAnswered(dial.call_id, "destination", "1006"))
    assert phase_of(engine_runtime, "a") is Phase.TALKING
    await on(pbx.CallHungUp(dial.call_id, pbx.HangupSide.CALLER))  # the agent's side
    assert "a" not in state.calls
    assert state.agents["1001"].state is AgentState.WRAP_UP


async def test_an_unreached_customer_waits_for_the_retry_and_a_stopped_ring_ends_the_dial(
    runtime: tuple[EngineRuntime, RecordingPbx],
) -> None:
    engine_runtime, port = runtime
    on = engine_runtime.on_call_event
    engine_runtime.feed("demo", CallbackBooked("web-1", "7001", "0201234567"))
    engine_runtime.feed("demo", SetAgentState("1001", AgentState.AVAILABLE))
    [first] = [d for d in port.sent if isinstance(d, pbx.Dial)]
    await on(pbx.CallAnswered(first.call_id, "agent", "1001"))
    busy = pbx.OfferFailure.BUSY
    await on(pbx.OfferFailed(first.call_id, "destination", "0201234567", busy, 486))
    await on(pbx.CallHungUp(first.call_id, pbx.HangupSide.PBX))
    state = engine_runtime._tenants["demo"].engine.state
    call = state.calls["web-1"]
    assert (call.phase, call.callback_attempts) == (Phase.WAITING, 1)
    assert "web-1" not in state.call_centers["7001"].waiting.ready  # waits for its retry

    # A ring the engine stops (another agent answered, a bounce) ends the click-to-dial.
    engine_runtime.feed("demo", SetAgentState("1001", AgentState.SIGN_OUT))
    [retry] = [t for t, (kind, _) in state.timers.items() if kind == "callback_retry"]
    engine_runtime.feed("demo", SetAgentState("1002", AgentState.AVAILABLE))
    engine_runtime.feed("demo", TimerFired(retry))
    second = [d for d in port.sent if isinstance(d, pbx.Dial)][-1]
    assert second.extension == "1002" and second.call_id != first.call_id
    [ring] = [t for t, (kind, _) in state.timers.items() if kind == "ring"]
    engine_runtime.feed("demo", TimerFired(ring))  # 1002 does not answer: a bounce
    assert pbx.Hangup(second.call_id, 487, "Request Terminated") in port.sent
    # The stopped dial's own end comes late, after the next offer is out: it is not the
    # callback's (no input, the next offer still rings).
    engine_runtime.feed("demo", SetAgentState("1003", AgentState.AVAILABLE))
    third = [d for d in port.sent if isinstance(d, pbx.Dial)][-1]
    assert third.call_id not in (first.call_id, second.call_id)
    sequence = state.sequence
    await on(pbx.CallHungUp(second.call_id, pbx.HangupSide.PBX))
    await on(pbx.CallAnswered(second.call_id, "agent", "1002"))
    assert state.sequence == sequence
    await on(pbx.CallAnswered(third.call_id, "agent", third.extension))
    assert phase_of(engine_runtime, "web-1") is Phase.DIALING

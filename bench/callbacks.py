"""Callback under load (docs/callback.md): 500 callbacks pending, none lost across a restart.

The engine runtime as the product runs it (Redis journal and snapshots, compaction on), the PBX
a recorder that answers for it. One Premium call center with callbacks and 20 agents, all signed
out:
1. 250 callers arrive, press 1 twice and hear the confirmation; 250 callbacks are booked on the
   web: 500 callbacks wait, in order.
2. The runtime stops; a new one starts on the same Redis (snapshot + journal, then the calls of
   the old process ended): every callback must still wait, in the same order.
3. The agents sign in and the recorder answers every click-to-dial (agent, then customer) and
   hangs up: every callback must end answered.
Prints the callbacks kept across the restart (a ratio, 1.00 is none lost), the restart's time,
and the cost per callback (steps 1 and 3) against the same runtime serving a plain queued call
(arrive, answer, hang up) measured in the same run.

    .venv/bin/python bench/callbacks.py [--callbacks 500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from redis.asyncio import Redis  # noqa: E402

from cti.engine_runtime import EngineRuntime  # noqa: E402
from cti.event_log import EventLog  # noqa: E402
from cti.snapshots import SnapshotStore  # noqa: E402
from pbx_core import call_control as pbx  # noqa: E402
from queueing import inputs as qi  # noqa: E402
from queueing.config import (  # noqa: E402
    AgentConfig,
    CallbackPolicy,
    CallCenterConfig,
    Media,
    Member,
    TenantConfig,
    Tier,
)
from queueing.events import EventType  # noqa: E402
from tests.cti.cti_redis_testkit import REDIS_URL, delete_prefix, new_prefix  # noqa: E402

TENANT = "bench"
CC = "7001"
AGENTS = tuple(str(2001 + i) for i in range(20))


def config() -> TenantConfig:
    center = CallCenterConfig(
        id=CC,
        name="Callbacks",
        tier=Tier.PREMIUM,
        members=tuple(Member(a) for a in AGENTS),
        media=Media(entrance_message=None),
        callback=CallbackPolicy(offer_above_seconds=0),
    )
    return TenantConfig(TENANT, (center,), tuple(AgentConfig(a) for a in AGENTS))


class RecordingPbx:
    def __init__(self) -> None:
        self.sent: list[pbx.CallCommand] = []

    def send(self, command: pbx.CallCommand) -> None:
        self.sent.append(command)


def runtime(redis: Redis, prefix: str, port: RecordingPbx) -> EngineRuntime:
    return EngineRuntime(
        [config()],
        port,
        redis,
        EventLog(redis, prefix),
        SnapshotStore(redis, prefix),
        prefix=prefix,
        compact_after=200,  # the restart reads a snapshot and the journal after it
    )


def waiting(instance: EngineRuntime) -> list[str]:
    return instance._tenants[TENANT].engine.state.call_centers[CC].waiting.call_ids()


async def ask(instance: EngineRuntime, n: int) -> tuple[float, float]:
    """n/2 callers press 1 twice and hear the confirmation; n/2 callbacks booked on the web
    (each waits until its step is published, as the REST answer does); the seconds of each."""
    on = instance.on_call_event
    started = time.perf_counter()
    for i in range(n // 2):
        call_id = f"phone-{i}"
        await on(pbx.CallOffered(call_id, f"06{i:08d}", CC, pbx.CallSource.TRUNK, tenant=TENANT))
        await on(pbx.DtmfReceived(call_id, "1"))
        await on(pbx.DtmfReceived(call_id, "1"))
        await on(pbx.MediaFinished(call_id, "callback_confirm_nl"))
        await on(pbx.CallHungUp(call_id, pbx.HangupSide.PBX))
    await instance.flush()
    phone_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(n - n // 2):
        await instance.book_callback(TENANT, CC, f"020{i:07d}")
    return phone_s, time.perf_counter() - started


async def drain(instance: EngineRuntime, port: RecordingPbx) -> int:
    """Agents sign in; every click-to-dial is answered by agent and customer, then ended."""
    on = instance.on_call_event
    answered = 0
    seen = 0
    for agent in AGENTS:
        instance.feed(TENANT, qi.SetAgentState(agent, qi.AgentState.AVAILABLE))
    while seen < len(port.sent):
        command = port.sent[seen]
        seen += 1
        if not isinstance(command, pbx.Dial):
            continue
        await on(pbx.CallAnswered(command.call_id, "agent", command.extension))
        await on(pbx.CallAnswered(command.call_id, "destination", command.destination))
        await on(pbx.CallHungUp(command.call_id, pbx.HangupSide.CALLEE))
        answered += 1
        for timer_id, (kind, _) in list(instance._tenants[TENANT].engine.state.timers.items()):
            if kind == "wrap_up":
                instance.feed(TENANT, qi.TimerFired(timer_id))
    return answered


async def plain_calls(instance: EngineRuntime, port: RecordingPbx, n: int) -> int:
    """The baseline: n queued calls arrive and are answered and ended as usual."""
    on = instance.on_call_event
    for agent in AGENTS:
        instance.feed(TENANT, qi.SetAgentState(agent, qi.AgentState.AVAILABLE))
    for i in range(n):
        call_id, caller = f"plain-{i}", f"06{i:08d}"
        await on(pbx.CallOffered(call_id, caller, CC, pbx.CallSource.TRUNK, tenant=TENANT))
    seen = served = 0
    while seen < len(port.sent):
        command = port.sent[seen]
        seen += 1
        if isinstance(command, pbx.OfferCall):
            await on(pbx.CallAnswered(command.call_id, command.leg_id, command.extension))
            await on(pbx.CallHungUp(command.call_id, pbx.HangupSide.CALLER))
            served += 1
            for timer_id, (kind, _) in list(instance._tenants[TENANT].engine.state.timers.items()):
                if kind == "wrap_up":
                    instance.feed(TENANT, qi.TimerFired(timer_id))
    return served


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--callbacks", type=int, default=500)
    n = parser.parse_args().callbacks
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    prefix, baseline_prefix = new_prefix(), new_prefix()
    try:
        first = runtime(redis, prefix, RecordingPbx())
        await first.start()
        phone_s, web_s = await ask(first, n)
        before = waiting(first)
        await first.stop()

        port = RecordingPbx()
        second = runtime(redis, prefix, port)
        started = time.perf_counter()
        await second.start()
        restart_s = time.perf_counter() - started
        after = waiting(second)
        kept = len([c for c in after if c in set(before)])
        in_order = after == before
        started = time.perf_counter()
        answered = await drain(second, port)
        await second.flush()
        drain_s = time.perf_counter() - started
        events = [e async for e in EventLog(redis, prefix).read_after(TENANT, -1)]
        reached = sum(1 for e in events if e.type is EventType.CALLBACK_ANSWERED)
        await second.stop()

        base_port = RecordingPbx()
        baseline = runtime(redis, baseline_prefix, base_port)
        await baseline.start()
        started = time.perf_counter()
        served = await plain_calls(baseline, base_port, n)
        await baseline.flush()
        plain_s = time.perf_counter() - started
        await baseline.stop()
    finally:
        await delete_prefix(redis, prefix)
        await delete_prefix(redis, baseline_prefix)
        await redis.aclose()

    per_phone = phone_s / (n // 2)
    per_web = web_s / (n - n // 2)
    per_callback = drain_s / n
    per_plain = plain_s / n
    print(f"callbacks pending before the restart: {len(before)}")
    print(f"kept across the restart: {kept} of {len(before)} (ratio {kept / len(before):.2f}),"
          f" in the same order: {in_order}; restart {restart_s * 1000:.0f} ms")  # fmt: skip
    print(f"called back and answered: {reached} of {n} ({answered} click-to-dials)")
    print(
        f"per plain queued call (arrive, answer, end; {served} served): {per_plain * 1000:.2f} ms"
    )
    for what, cost in (
        ("asked by phone (arrive, 1, 1, confirmation, hang-up)", per_phone),
        ("booked on the web (waits until published)", per_web),
        ("called back (offer, agent, customer, end)", per_callback),
    ):
        print(f"per callback {what}: {cost * 1000:.2f} ms, ratio {cost / per_plain:.2f}x")
    if kept != n or not in_order or reached != n or served != n:
        raise SystemExit("callbacks were lost")


if __name__ == "__main__":
    asyncio.run(main())

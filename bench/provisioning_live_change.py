"""How long one live call-center change blocks the engine runtime's event loop, with 525 callers
waiting (7003 full), against a baseline measured in the same run: one engine step (a caller
arriving in another call center), which is what every call costs the loop.

A change runs in two parts (cti/engine_provisioning.py): reading the tenant's config from the
database happens in a worker thread; on the loop, `EngineRuntime.apply_config` encodes the
running state, decodes it under the new config (every waiting caller kept in its place) and
rebases the journal. The second part is what is timed here. Goal: under 50 ms.

    .venv/bin/python bench/provisioning_live_change.py
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from cti.demo_company import demo_tenant_config
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.snapshots import SnapshotStore
from pbx_core import call_control as pbx
from queueing import inputs as qi
from queueing.config import TenantConfig

WAITING = 525
RUNS = 21
OPEN = datetime(2025, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()
"""A Wednesday morning: every demo call center is open, so callers wait."""


class DiscardingPbx:
    def send(self, command: pbx.CallCommand) -> None:
        pass


def with_wrap_up(config: TenantConfig, seconds: int) -> TenantConfig:
    """The demo config with 7003's wrap-up changed: a PATCH an admin makes."""
    centers = tuple(
        dataclasses.replace(c, wrap_up_seconds=seconds) if c.id == "7003" else c
        for c in config.call_centers
    )
    return dataclasses.replace(config, call_centers=centers)


async def waiting(runtime: EngineRuntime) -> list[str]:
    centers = {c.id: c for c in await runtime.call_centers("demo")}
    return [w.call_id for w in centers["7003"].waiting_calls]


async def main() -> None:
    config = demo_tenant_config()
    redis = Redis()  # never connected: the publisher is not started
    runtime = EngineRuntime(
        [config],
        DiscardingPbx(),
        redis,
        EventLog(redis, "bench"),
        SnapshotStore(redis, "bench"),
        prefix="bench",
        clock=lambda: OPEN,
    )
    for n in range(WAITING):
        runtime.feed("demo", qi.CallArrived(f"w-{n}", "7003", f"+3120{n:07d}"))
    order = await waiting(runtime)
    changes, steps = [], []
    for run in range(RUNS):
        new = with_wrap_up(config, 11 + run % 2)  # a different config every time
        start = time.perf_counter()
        runtime.apply_config("demo", new)
        changes.append(time.perf_counter() - start)
        start = time.perf_counter()
        runtime.feed("demo", qi.CallArrived(f"b-{run}", "7001", "+31201234567"))
        steps.append(time.perf_counter() - start)
        runtime.feed("demo", qi.CallerHungUp(f"b-{run}"))
    after = await waiting(runtime)
    assert after == order and len(after) == WAITING, "waiting callers lost or reordered"
    change, step = statistics.median(changes), statistics.median(steps)
    print(f"{WAITING} callers waiting, median of {RUNS}:")
    print(f"  one live change on the loop: {change * 1000:8.2f} ms (max {max(changes) * 1000:.2f})")
    print(f"  one engine step (baseline):  {step * 1000:8.3f} ms")
    print(f"  ratio: {change / step:.0f}x; goal < 50 ms: {'met' if change < 0.05 else 'MISSED'}")


if __name__ == "__main__":
    asyncio.run(main())

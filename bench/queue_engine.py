"""Queue-engine throughput on a hosted-platform load, against a bare heap baseline in the same run.

Load: 100 Premium call centers, 525 waiters each, 2,000 agents (20 per call center). Every caller
arrives, hears a comfort message, 10% abandon, agents sign in, then answer / hang up / wrap up
until the queues are empty. The baseline does the same number of operations with plain heapq
(push on arrival, pop on offer) and a tuple appended per event: the floor any engine pays.

Run: `python bench/queue_engine.py [--centers N] [--waiters N] [--agents-per-center N]`
"""

from __future__ import annotations

import argparse
import gc
import heapq
import math
import time
from collections.abc import Callable

from queueing.config import AgentConfig, CallCenterConfig, Media, Member, TenantConfig, Tier
from queueing.engine import step
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentState,
    CallArrived,
    CallerHungUp,
    SetAgentState,
    TimerFired,
)
from queueing.state import EngineState, initial_state


def build_config(centers: int, agents_per_center: int) -> TenantConfig:
    ccs: list[CallCenterConfig] = []
    agents: list[AgentConfig] = []
    for c in range(centers):
        members = [str(100000 + c * agents_per_center + a) for a in range(agents_per_center)]
        agents.extend(AgentConfig(e) for e in members)
        ccs.append(
            CallCenterConfig(
                id=str(70000 + c),
                name=f"Queue {c}",
                tier=Tier.PREMIUM,
                members=tuple(Member(e) for e in members),
                media=Media(entrance_message=None, comfort_interval_seconds=60),
                wrap_up_seconds=5,
            )
        )
    return TenantConfig("bench", tuple(ccs), tuple(agents))


def run_engine(config: TenantConfig, waiters: int) -> tuple[int, float, list[float]]:
    """Returns (inputs processed, seconds, seconds per arrival at each fill decile)."""
    state: EngineState = initial_state(config)
    now = 1_764_000_000.0
    count = 0
    centers = [c.id for c in config.call_centers]
    arrival_costs: list[float] = []
    started = time.perf_counter()
    # 1. Arrivals, measured per tenth of the fill to show the cost per event as queues grow.
    for decile in range(10):
        t0 = time.perf_counter()
        n0 = count
        for n in range(decile * waiters // 10, (decile + 1) * waiters // 10):
            for cc in centers:
                step(state, CallArrived(f"{cc}-{n}", cc, "+31201234567"), now)
                count += 1
            now += 0.01
        arrival_costs.append((time.perf_counter() - t0) / max(1, count - n0))
    # 2. A comfort message for every waiting caller.
    for call_id in list(state.calls):
        step(state, TimerFired(f"{call_id}/comfort"), now)
        count += 1
    # 3. One caller in ten hangs up.
    for n, call_id in enumerate(list(state.calls)):
        if n % 10 == 0:
            step(state, CallerHungUp(call_id), now)
            count += 1
    # 4. Agents sign in and become available: each gets an offer.
    agents = list(state.agents)
    for extension in agents:
        step(state, SetAgentState(extension, AgentState.AVAILABLE), now)
        count += 1
    # 5. Answer, talk, hang up, wrap up, next call, until every queue is empty.
    while True:
        busy = [(a.extension, a.offered_call) for a in state.agents.values() if a.offered_call]
        if not busy:
            break
        now += 1
        for extension, call_id in busy:
            assert call_id is not None
            step(state, AgentAnswered(call_id, extension), now)
        now += 60
        for extension, call_id in busy:
            assert call_id is not None
            step(state, AgentHungUp(call_id, extension), now)
        now += 5
        for extension, _ in busy:
            step(state, TimerFired(f"agent/{extension}/wrap_up"), now)
        count += 3 * len(busy)
    elapsed = time.perf_counter() - started
    assert not state.calls, "every call must be served"
    return count, elapsed, arrival_costs


def run_baseline(centers: int, waiters: int, agents_per_center: int) -> tuple[int, float]:
    """The same operations with nothing but heaps, a dict and an output list."""
    heaps: list[list[tuple[int, int, str]]] = [[] for _ in range(centers)]
    gone: set[str] = set()
    out: list[tuple[str, str]] = []
    count = 0
    seq = 0
    started = time.perf_counter()
    for n in range(waiters):
        for c in range(centers):
            seq += 1
            call_id = f"{c}-{n}"
            heapq.heappush(heaps[c], (0, seq, call_id))
            out.append(("added", call_id))
            count += 1
    for heap in heaps:
        for _, _, call_id in heap:
            out.append(("comfort", call_id))
            count += 1
    for heap in heaps:
        for n, (_, _, call_id) in enumerate(list(heap)):
            if n % 10 == 0:
                gone.add(call_id)
                out.append(("abandoned", call_id))
                count += 1

    def next_call(c: int) -> str | None:
        heap = heaps[c]
        while heap:
            _, _, call_id = heapq.heappop(heap)
            if call_id not in gone:
                out.append(("offered", call_id))
                return call_id
        return None

    offered: dict[tuple[int, int], str | None] = {}
    for c in range(centers):
        for a in range(agents_per_center):
            offered[(c, a)] = next_call(c)
            count += 1
    while any(offered.values()):
        busy = [(k, v) for k, v in offered.items() if v]
        for _, call_id in busy:
            out.append(("answered", call_id or ""))
        for _, call_id in busy:
            out.append(("released", call_id or ""))
        for key, _ in busy:
            offered[key] = next_call(key[0])
        count += 3 * len(busy)
    return count, time.perf_counter() - started


def best_of(runs: int, fn: Callable[[], tuple[int, float]]) -> tuple[int, float]:
    results = []
    for _ in range(runs):
        gc.collect()
        results.append(fn())
    return min(results, key=lambda r: r[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--centers", type=int, default=100)
    parser.add_argument("--waiters", type=int, default=525)
    parser.add_argument("--agents-per-center", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = build_config(args.centers, args.agents_per_center)
    costs: list[float] = []

    def engine_run() -> tuple[int, float]:
        count, seconds, arrival_costs = run_engine(config, args.waiters)
        costs[:] = arrival_costs
        return count, seconds

    engine_count, engine_seconds = best_of(args.runs, engine_run)
    base_count, base_seconds = best_of(
        args.runs, lambda: run_baseline(args.centers, args.waiters, args.agents_per_center)
    )
    engine_rate = engine_count / engine_seconds
    base_rate = base_count / base_seconds
    print(
        f"load: {args.centers} call centers x {args.waiters} waiters,"
        f" {args.centers * args.agents_per_center} agents"
    )
    print(
        f"engine:   {engine_count:>9,} inputs in {engine_seconds:6.2f} s = {engine_rate:>9,.0f}/s"
    )
    print(f"baseline: {base_count:>9,} ops    in {base_seconds:6.2f} s = {base_rate:>10,.0f}/s")
    print(f"ratio engine/baseline: {engine_rate / base_rate:.3f} (goal >= 0.5)")
    first, last = costs[0], costs[-1]
    log_growth = math.log2(args.waiters) / math.log2(max(2, args.waiters // 20))
    print(
        "cost per arrival, queues 0-10% vs 90-100% full:"
        f" {first * 1e6:.1f} us vs {last * 1e6:.1f} us (x{last / first:.2f};"
        f" O(log n) growth would be about x{log_growth:.1f})"
    )


if __name__ == "__main__":
    main()

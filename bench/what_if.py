"""What-if simulator throughput: one day of a 150-agent call center (about 20,000 calls) replayed
through the real engine, against the engine benchmark's inputs/s measured in the same run.

The day: 20,000 synthetic calls between 08:00 and 18:00 (two peaks), 4 min mean talk time, 2 min
mean patience, 10 s wrap-up, comfort message every 60 s. The goal is one simulated day in < 10 s;
the ratio says how much of the engine's own speed the simulated world (agents answering, callers
hanging up, the per-interval figures) leaves.

Run: `python -m bench.what_if [--calls N] [--agents N]` (from the repository root)
"""

from __future__ import annotations

import argparse
import gc
import time

from bench.queue_engine import build_config, run_engine
from queueing.config import AgentConfig, CallCenterConfig, Media, Member, TenantConfig, Tier
from queueing.what_if import Changes, apply_changes, simulate_day
from queueing.what_if_traffic import Profile, synthetic

DAY_START = 1_764_547_200.0
"""2025-12-01 00:00 UTC."""


def call_center(agents: int) -> TenantConfig:
    members = tuple(Member(str(100000 + n)) for n in range(agents))
    cc = CallCenterConfig(
        id="7001",
        name="Big",
        tier=Tier.PREMIUM,
        members=members,
        media=Media(comfort_interval_seconds=60),
        wrap_up_seconds=10,
    )
    return TenantConfig("bench", (cc,), tuple(AgentConfig(m.extension) for m in members))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    profile = Profile(calls=args.calls, mean_talk_seconds=240, mean_patience_seconds=120)
    traffic = synthetic(profile, "7001", DAY_START)
    config = apply_changes(call_center(args.agents), "7001", Changes())

    day_runs = []
    for _ in range(args.runs):
        gc.collect()
        started = time.perf_counter()
        day = simulate_day(config, traffic, DAY_START)
        day_runs.append((time.perf_counter() - started, day))
    day_seconds, day = min(day_runs, key=lambda r: r[0])

    # The engine benchmark's load, scaled to about as many inputs as the simulated day.
    engine_config = build_config(centers=20, agents_per_center=20)
    engine_runs = []
    for _ in range(args.runs):
        gc.collect()
        count, seconds, _ = run_engine(engine_config, waiters=525)
        engine_runs.append((seconds, count))
    engine_seconds, engine_count = min(engine_runs)

    sim_rate = day.inputs / day_seconds
    engine_rate = engine_count / engine_seconds
    total = day.total
    print(f"day: {total.offered:,} calls, {day.agents} agents, {day.inputs:,} engine inputs")
    print(
        f"simulated day: {day_seconds:6.2f} s = {sim_rate:>9,.0f} inputs/s (goal < 10 s);"
        f" SL {total.service_level or 0:.1%}, ASA {total.asa_seconds or 0:.0f} s,"
        f" abandoned {total.abandonment or 0:.1%}, occupancy {total.occupancy or 0:.1%}"
    )
    print(
        f"engine bench:  {engine_count:,} inputs in {engine_seconds:6.2f} s"
        f" = {engine_rate:>9,.0f} inputs/s"
    )
    print(f"ratio what-if/engine inputs/s: {sim_rate / engine_rate:.3f}")


if __name__ == "__main__":
    main()

"""The supervisor's restart decisions (common/supervision.py): back-off doubling up to a cap, and
a crash loop once crashes crowd the window."""

from __future__ import annotations

import asyncio
import subprocess

from common.supervision import ChildSpec, ChildStatus, RestartPolicy, Supervisor

POLICY = RestartPolicy(
    first_delay=0.2, max_delay=5.0, crash_loop_restarts=5, crash_loop_window=60.0,
    crash_loop_retry=30.0,
)  # fmt: skip


def test_the_first_crash_is_restarted_at_once_then_the_delay_doubles() -> None:
    assert POLICY.delay([100.0], 100.0) == (0.2, ChildStatus.BACKING_OFF)
    assert POLICY.delay([99.0, 100.0], 100.0) == (0.4, ChildStatus.BACKING_OFF)
    assert POLICY.delay([98.0, 99.0, 100.0], 100.0) == (0.8, ChildStatus.BACKING_OFF)


def test_the_delay_is_capped() -> None:
    slow = RestartPolicy(first_delay=1.0, max_delay=3.0, crash_loop_restarts=10)
    assert slow.delay([96.0, 97.0, 98.0, 99.0, 100.0], 100.0) == (3.0, ChildStatus.BACKING_OFF)


def test_crashes_crowding_the_window_are_a_crash_loop() -> None:
    crashes = [96.0, 97.0, 98.0, 99.0, 100.0]
    assert POLICY.delay(crashes, 100.0) == (30.0, ChildStatus.CRASH_LOOP)


def test_old_crashes_are_forgotten() -> None:
    crashes = [10.0, 11.0, 12.0, 13.0, 100.0]
    assert POLICY.delay(crashes, 100.0) == (0.2, ChildStatus.BACKING_OFF)


async def test_a_child_still_starting_gets_its_grace_then_a_hung_one_is_restarted() -> None:
    """A new generation that has not passed a health check yet is not killed for failing them
    until `start_grace` has passed (a worker still importing); after that a child that never
    serves is taken for hung and started again."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["sleep", "60"], start_new_session=True)
        started.append(process)
        return process

    supervisor = Supervisor(
        RestartPolicy(first_delay=0.05, max_delay=0.05),
        health_interval=0.05,
        unhealthy_after=2,
        start_grace=3.0,
    )
    await supervisor.supervise(ChildSpec("never-healthy", start, healthy=lambda _p: False))
    try:
        await asyncio.sleep(1.0)  # twenty failed checks, well inside the grace
        (state,) = supervisor.states()
        assert state.restarts == 0 and len(started) == 1
        async with asyncio.timeout(30):
            while supervisor.states()[0].restarts == 0:
                await asyncio.sleep(0.05)
        assert started[0].poll() is not None, "the hung generation was killed"
    finally:
        await supervisor.stop()
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait()

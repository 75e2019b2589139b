"""The supervisor's restart decisions (common/supervision.py): back-off doubling up to a cap, and
a crash loop once crashes crowd the window."""

from __future__ import annotations

from common.supervision import ChildStatus, RestartPolicy

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

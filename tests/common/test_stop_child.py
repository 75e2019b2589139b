"""`stop_child`: a clean stop first, SIGKILL only for a child that ignores it."""

from __future__ import annotations

import signal
import subprocess
import sys

from common.child_processes import stop_child

IGNORES_TERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def _started(code: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"  # its handlers are in place
    return process


def test_a_child_that_stops_on_sigterm_is_not_killed() -> None:
    process = _started("import time\nprint('ready', flush=True)\ntime.sleep(60)\n")
    stop_child(process, grace_seconds=30)
    assert process.returncode == -signal.SIGTERM


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    process = _started(IGNORES_TERM)
    stop_child(process, grace_seconds=0.5)
    assert process.returncode == -signal.SIGKILL


def test_an_ended_child_is_left_alone() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    stop_child(process)
    assert process.returncode == 0

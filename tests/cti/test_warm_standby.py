"""The warm standby (cti/warm_standby.py): a restart runs the product in a process that had
imported it before it was needed, and nothing of a standby outlives its use (issue 20)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cti.warm_standby import WarmStandby, standby_command

ROOT = Path(__file__).resolve().parents[2]
PROBE = [sys.executable, "-m", "tests.cti.standby_probe", "--flag", "value"]


def _lines(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [
        (int(pid), what)
        for pid, what in (line.split(" ", 1) for line in log.read_text().splitlines())
    ]


def _wait(process: subprocess.Popen[bytes]) -> None:
    assert process.wait(timeout=60) == 0


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "probe.log"


@pytest.fixture
def standby(log: Path) -> Iterator[WarmStandby]:
    keeper = WarmStandby(PROBE, 0.0, cwd=ROOT, env={**os.environ, "STANDBY_PROBE_LOG": str(log)})
    yield keeper
    keeper.close()


def test_each_start_runs_the_module_that_a_standby_had_imported(
    standby: WarmStandby, log: Path
) -> None:
    first = standby.start()
    _wait(first)
    assert (first.pid, "ran --flag value") in _lines(log)

    assert standby.ready(timeout=60)
    (waiting,) = {pid for pid, what in _lines(log) if what == "imported"} - {first.pid}
    assert (waiting, "ran --flag value") not in _lines(log)  # imported, not run

    second = standby.start()
    assert second.pid == waiting  # the restart is the process that had imported the module
    _wait(second)
    ran = [entry for entry in _lines(log) if entry[1].startswith("ran")]
    assert ran == [(first.pid, "ran --flag value"), (second.pid, "ran --flag value")]


def test_a_standby_that_died_is_not_ready_and_the_next_start_is_cold(
    standby: WarmStandby, log: Path
) -> None:
    _wait(standby.start())
    assert standby.ready(timeout=60)
    (waiting,) = {pid for pid, what in _lines(log) if what == "imported"} - {
        pid for pid, what in _lines(log) if what.startswith("ran")
    }
    os.kill(waiting, 9)
    deadline = time.monotonic() + 10
    while standby.ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not standby.ready()
    cold = standby.start()
    assert cold.pid != waiting
    _wait(cold)
    assert (cold.pid, "ran --flag value") in _lines(log)


def test_close_ends_the_waiting_standby_without_running_it(standby: WarmStandby, log: Path) -> None:
    _wait(standby.start())
    assert standby.ready(timeout=60)
    standby.close()
    assert not standby.ready()
    assert len([what for _, what in _lines(log) if what.startswith("ran")]) == 1


def test_end_of_input_without_go_runs_nothing(log: Path) -> None:
    """What a standby sees when its parent dies: its stdin's end. It exits, running nothing."""
    command = standby_command(PROBE)
    assert command is not None
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "STANDBY_PROBE_LOG": str(log)},
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(timeout=60) == 0
    assert [what for _, what in _lines(log)] == ["imported"]


def test_a_command_that_is_no_module_starts_cold(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    keeper = WarmStandby([sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"], 0.0)
    try:
        _wait(keeper.start())
        assert marker.exists()
        assert not keeper.ready()
    finally:
        keeper.close()

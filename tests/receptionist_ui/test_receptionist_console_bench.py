"""The receptionist console benchmark's short form (bench/receptionist_console.py,
docs/receptionist.md): the whole product, 1003 with a Premium licence monitoring 10 imported
users in Chromium while their calls change state twice a second. Every change the PBX's events
make reaches the tile's `data-state` (none lost) and each is measured; timings are the bench's
to print, never asserted here."""

from __future__ import annotations

from bench.receptionist_console import main


def test_every_call_state_change_reaches_its_tile_and_is_measured() -> None:
    results = main(["--users", "10", "--rate", "2", "--seconds", "2"])
    assert [r.label for r in results] == ["baseline (1 change/s)", "10 tiles, 2 changes/s"]
    for result in results:
        assert result.expected >= 3, result
        assert result.lost == 0, result
        assert len(result.latencies_ms) == result.expected, result

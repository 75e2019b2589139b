"""Callers waiting in 7003 of the running product survive a `kill -9` of the product (the PBX)
and its restart (bench/chaos.py's `product` fault, docs/deploy.md "Calls that survive a PBX
crash"): rtpengine runs as its own service, the restarted PBX takes the stored dialogs over, the
engine keeps the calls in their places, and each caller's BYE after the restart is answered and
ends its call with exactly one terminal event. Two agents of 7003 answer the first two callers
and are still talking to them at the kill: both calls end with the caller's BYE after the
restart, on both legs."""

from __future__ import annotations

from bench.chaos import main


def test_a_pbx_crash_loses_no_waiting_caller() -> None:
    (result,) = main(["--faults", "product", "--callers", "3", "--rate", "3"])
    assert result.callers == 3, result
    assert result.lost_callers == 0, result
    assert result.connected_at_fault >= 1, result  # else the next line proves nothing
    assert result.connected_dropped == 0, result
    assert (result.unended_calls, result.twice_ended_calls) == (0, 0), result
    assert (result.sequence_gaps, result.sequence_repeats) == (0, 0), result
    assert (result.rows_lost, result.rows_duplicated) == (0, 0), result
    assert result.served_after is not None, result

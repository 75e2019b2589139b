"""The chaos harness's `redis-failover` fault in short form (bench/chaos.py,
bench/chaos_failover.py, docs/chaos.md): the product on `redis+sentinel://` to a private primary,
2 replicas and 3 Sentinels, callers waiting in 7003 and two agents talking to the first of them,
then kill -9 of the primary. The Sentinels promote a replica; no waiting caller is lost, no
connected call dropped, every call ends once, and new calls are served again. Events and report
rows are not asserted: with asynchronous replication the last writes before the kill may be
lost (docs/deploy.md "Redis with Sentinel"), so those columns are measured and explained in
docs/chaos.md, not promised."""

from __future__ import annotations

from bench.chaos import main


def test_a_redis_primary_failover_loses_no_waiting_caller() -> None:
    (result,) = main(["--faults", "redis-failover", "--callers", "4", "--rate", "4"])
    assert result.promoted_after is not None, result  # else the fault did not happen
    assert result.callers == 4, result
    assert result.lost_callers == 0, result
    assert result.connected_at_fault >= 1, result  # else the next line proves nothing
    assert result.connected_dropped == 0, result
    assert (result.unended_calls, result.twice_ended_calls) == (0, 0), result
    assert result.served_after is not None, result

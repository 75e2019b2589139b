"""The chaos harness's short form (bench/chaos.py, docs/chaos.md): callers waiting in 7003 of
the running product, behind Kamailio, while its rq worker, its report ingester, Kamailio (all
its processes, restarted on its address after 1 s) and a stand-alone API process (`cti.serve`,
restarted after 1 s; the live subscriber and the agents' commands go through it, and the
subscriber must resume through the restarted process) are killed with SIGKILL. No fault may lose
a caller, leave a call without its one terminal event, skip or repeat a sequence in the event
stream, or lose or duplicate a report row; new calls are served again. The same for
a PostgreSQL crash and a 30 s Redis outage (issue 20's "Redis unreachable for 30 s"), with the
product's database on a private PostgreSQL. Two agents of 7003 talk to callers through each
fault: no connected call may be dropped."""

from __future__ import annotations

from bench.chaos import FaultResult, main


def test_killed_workers_kamailio_and_api_lose_no_caller_no_event_and_no_report_row() -> None:
    faults = "rq-worker,report-ingester,kamailio,api"  # Kamailio in front for all four
    results = main(["--faults", faults, "--callers", "6", "--rate", "6"])
    _lost_nothing(results)
    (api,) = (result for result in results if result.fault == "api")
    assert api.api_answers_after is not None, api
    assert api.subscription_through_api is not None, api
    before_kill, after_restart = api.subscription_through_api
    assert before_kill >= 1, api  # the subscriber went through the API process ...
    assert after_restart >= 1, api  # ... and resumed through the restarted one


def test_a_database_crash_and_a_redis_outage_lose_no_caller_no_event_and_no_report_row() -> None:
    _lost_nothing(main(["--faults", "postgres,redis-outage", "--callers", "6", "--rate", "6"]))


def _lost_nothing(results: list[FaultResult]) -> None:
    assert results
    for result in results:
        assert result.callers == 6, result
        assert result.calls_in_stream >= 6, result  # the probe calls come on top
        assert (result.lost_callers, result.unended_calls, result.twice_ended_calls) == (0, 0, 0)
        assert result.connected_at_fault >= 1, result  # else the next line proves nothing
        assert result.connected_dropped == 0, result
        assert (result.sequence_gaps, result.sequence_repeats) == (0, 0), result
        assert (result.subscription_lost, result.subscription_repeated) == (0, 0), result
        assert (result.rows_lost, result.rows_duplicated) == (0, 0), result
        assert result.served_after is not None, result

"""The chaos harness's short form (bench/chaos.py, docs/chaos.md): callers waiting in 7003 of
the running product while its rq worker and its report ingester are killed with SIGKILL. Neither
fault may lose a caller, leave a call without its one terminal event, skip or repeat a sequence
in the event stream, or lose or duplicate a report row; new calls are served again."""

from __future__ import annotations

from bench.chaos import main


def test_killed_workers_lose_no_caller_no_event_and_no_report_row() -> None:
    results = main(["--faults", "rq-worker,report-ingester", "--callers", "6", "--rate", "6"])
    for result in results:
        assert result.callers == 6, result
        assert result.calls_in_stream >= 6, result  # the probe calls come on top
        assert (result.lost_callers, result.unended_calls, result.twice_ended_calls) == (0, 0, 0)
        assert (result.sequence_gaps, result.sequence_repeats) == (0, 0), result
        assert (result.rows_lost, result.rows_duplicated) == (0, 0), result
        assert result.served_after is not None, result

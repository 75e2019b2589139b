"""How the PBX tells a restarted rtpengine from the one it knew (media/restart_watch.py): the
decision on two samples, and the watch on a real rtpengine killed and started again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbx_core.media.restart_watch import EngineSample, RestartWatch, restarted
from pbx_core.media.rtpengine_process import start_rtpengine
from tests.pbx_core.support import free_port


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        # The same instance a poll later: our request counted, time went on.
        (EngineSample(100, 7), EngineSample(101, 8), False),
        # Another poller asked too, and within the same second.
        (EngineSample(100, 7), EngineSample(100, 12), False),
        # A new instance: it answered none before ours.
        (EngineSample(100, 7), EngineSample(0, 0), True),
        # A new instance other pollers asked more often than ours was: it is younger.
        (EngineSample(3, 2), EngineSample(1, 9), True),
        # A new instance, up as long as the old one was, that answered fewer requests.
        (EngineSample(2, 7), EngineSample(2, 3), True),
    ],
)
def test_a_new_instance_is_told_by_its_counts(
    before: EngineSample, now: EngineSample, expected: bool
) -> None:
    assert restarted(before, now) is expected


def test_the_watch_reports_each_restart_once(tmp_path: Path) -> None:
    work = tmp_path / "rtpengine"
    first = start_rtpengine(work, ng_port=free_port())
    watch = RestartWatch(first.host, first.ng_port)
    second = None
    try:
        assert [watch.check(), watch.check(), watch.check()] == [False, False, False]
        first.process.kill()
        first.process.wait()
        assert watch.check() is False, "no answer is no news"
        second = start_rtpengine(
            work, ng_port=first.ng_port, port_range=(first.port_min, first.port_max)
        )
        assert [watch.check(), watch.check()] == [True, False]
    finally:
        watch.close()
        first.stop()
        if second is not None:
            second.stop()

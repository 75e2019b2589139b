"""Notice that rtpengine restarted, so the PBX can start again what its players looped (issue 20).

With `--redis` a restarted rtpengine restores its calls' sessions and forwards their audio
again, but not its media players: music on hold, a looped prompt or a custom ringback goes
silent (docs/chaos.md). The PBX polls rtpengine's ng `statistics` once a second and, when the
instance answering is a new one, re-issues `play media` for those calls
(`CallerMedia.replay_loops`).

The signal comes from rtpengine itself, so it holds whoever restarted it (the product's child
supervisor, systemd, an operator): `totalstatscount` counts the `statistics` requests the
instance answered before this one. Our previous poll is one of them, so while the same instance
runs the count grows by at least one per poll; a new instance counts from 0 again. Its `uptime`
(whole seconds) going back is the second sign, for an instance other pollers (another PBX node)
already asked more often than we asked its predecessor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pbx_core.media.ng_client import NgClient, NgError

log = logging.getLogger(__name__)

WATCH_SECONDS = 1.0
"""How often the PBX asks: a restart is noticed (and music plays again) within about this."""


@dataclass(frozen=True, slots=True)
class EngineSample:
    uptime: int
    """Seconds since this rtpengine instance started."""
    statistics_answered: int
    """`statistics` requests the instance answered before the one this sample answers."""


def sample_of(reply: dict[str, Any]) -> EngineSample:
    """The sample in a `statistics` reply; KeyError or ValueError if it has none."""
    statistics = reply["statistics"]
    return EngineSample(
        uptime=int(statistics["totalstatistics"]["uptime"]),
        statistics_answered=int(statistics["controlstatistics"]["totalstatscount"]),
    )


def restarted(before: EngineSample, now: EngineSample) -> bool:
    """`now` comes from another instance than `before`, a poll later: its count did not grow
    by our previous request, or it has been up for less time."""
    return now.statistics_answered <= before.statistics_answered or now.uptime < before.uptime


class RestartWatch:
    """One rtpengine, asked from one (worker) thread: its own socket, never the SIP thread's
    client, so a dead rtpengine costs the SIP thread nothing here."""

    def __init__(self, host: str, ng_port: int) -> None:
        self._client = NgClient(host, ng_port, timeout=0.5, retries=0)
        self._last: EngineSample | None = None

    def check(self) -> bool:
        """Blocking. True when the instance answering now is not the one that answered the
        last answered check. No answer: False and the last sample kept, so a restart during an
        outage is noticed at the first answer after it."""
        try:
            now = sample_of(self._client.request("statistics"))
        except (NgError, OSError, KeyError, ValueError, TypeError) as error:
            log.debug("rtpengine statistics: %s", error)
            return False
        before, self._last = self._last, now
        return before is not None and restarted(before, now)

    def close(self) -> None:
        self._client.close()


async def watch_restarts(
    watch: RestartWatch, on_restart: Callable[[], None], interval: float = WATCH_SECONDS
) -> None:
    """Runs until cancelled; the first check, at once, is the baseline."""
    try:
        while True:
            if await asyncio.to_thread(watch.check):
                log.warning("rtpengine restarted: music and looped prompts start again")
                on_restart()
            await asyncio.sleep(interval)
    finally:
        watch.close()


class RestartWatchTask:
    """`watch_restarts` on one rtpengine as a task of the running PBX: made at its start,
    stopped (cancelled, its socket closed) at its stop."""

    def __init__(self, host: str, ng_port: int, on_restart: Callable[[], None]) -> None:
        self._task = asyncio.create_task(
            watch_restarts(RestartWatch(host, ng_port), on_restart), name="rtpengine-watch"
        )

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

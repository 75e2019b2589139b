"""A call center's wallboard: what the TV on the wall shows, and which figures are red.

Pure: built from the live snapshot (waiting calls, agents), today's service level (from the
reports, so board and reports agree) and the call center's thresholds, at a given `now`. The
REST layer (cti/rest/wallboards.py) reads those and streams the result; the page
(wallboard_ui/) only draws it, so the red/green decision is made and tested here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from common.redis_keys import wallboard_thresholds
from cti.snapshots import AgentSnapshot, AgentState, CallCenterSnapshot

DAY_ZONE = ZoneInfo("Europe/Amsterdam")
"""Where "today" starts: the platform's home market (the supervisor board's default zone)."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A figure turns red at these values; defaults fit a small call center."""

    waiting_calls: int = 3
    """Red when this many calls (or more) wait."""
    longest_wait_seconds: int = 60
    """Red when the longest current wait reaches this."""
    service_level_percent: int = 80
    """Red when today's service level is below this."""
    available_agents: int = 1
    """Red when fewer agents than this are available while calls wait."""

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class ThresholdStore:
    """Per call center, in Redis; a call center without its own has the defaults."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, tenant: str, call_center_id: str) -> Thresholds:
        raw = await self._redis.hget(wallboard_thresholds(self._prefix, tenant), call_center_id)
        return Thresholds() if raw is None else Thresholds(**json.loads(raw))

    async def set(self, tenant: str, call_center_id: str, thresholds: Thresholds) -> None:
        await self._redis.hset(
            wallboard_thresholds(self._prefix, tenant),
            call_center_id,
            json.dumps(thresholds.to_dict()),
        )


def day_start(now: float) -> float:
    """Midnight of `now`'s day in DAY_ZONE (DST changes happen at night, never at midnight)."""
    local = datetime.fromtimestamp(now, DAY_ZONE)
    return datetime(local.year, local.month, local.day, tzinfo=DAY_ZONE).timestamp()


def wallboard(
    call_center: CallCenterSnapshot,
    agents: Iterable[AgentSnapshot],
    service_level: float | None,
    thresholds: Thresholds,
    now: float,
) -> dict[str, Any]:
    """The wallboard's JSON: figures, agents by state, and the names of the red figures."""
    waits = [max(0.0, now - call.arrived_at) for call in call_center.waiting_calls]
    members = set(call_center.members)
    by_state = {state.value: 0 for state in AgentState if state is not AgentState.SIGN_OUT}
    for agent in agents:
        if agent.extension in members and agent.state is not AgentState.SIGN_OUT:
            by_state[agent.state.value] += 1
    waiting = len(waits)
    longest = max(waits, default=0.0)
    red = []
    if waiting >= thresholds.waiting_calls:
        red.append("waiting")
    if waiting and longest >= thresholds.longest_wait_seconds:
        red.append("longest_wait")
    if service_level is not None and service_level * 100 < thresholds.service_level_percent:
        red.append("service_level")
    if waiting and by_state[AgentState.AVAILABLE.value] < thresholds.available_agents:
        red.append("agents")
    return {
        "call_center": {"id": call_center.id, "name": call_center.name},
        "waiting": waiting,
        "longest_wait_seconds": round(longest, 1),
        "service_level": service_level,
        "service_level_seconds": call_center.service_level_seconds,
        "agents": by_state,
        "thresholds": thresholds.to_dict(),
        "red": red,
        "now": now,
    }

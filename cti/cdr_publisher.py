"""Call-detail records for calls that pass through no queue (extension to extension, outbound):
the PBX's events become one CALL_DETAIL record per call on `{prefix}:{tenant}:cdrs`, the stream
the reports ingester reads (docs/reports.md). Queue calls get theirs from the engine's events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from common.redis_keys import cdr_stream
from pbx_core import call_control as pbx
from pbx_core.trunks.numbering import outside_number

log = logging.getLogger(__name__)

Clock = Callable[[], float]
ProfileOf = Callable[[str, str], str | None]
"""`(tenant, extension) -> profile` (seed 3.1) or None; blocking (SQL), called off the loop."""


@dataclass
class _Call:
    tenant: str
    caller: str
    called: str
    direction: str
    start: float
    answer: float | None = None


class CdrPublisher:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        is_extension: Callable[[str, str], bool],
        clock: Clock = time.time,
        profile_of: ProfileOf | None = None,
    ) -> None:
        """`is_extension(tenant, number)`: a user of that tenant (a caller who is not: no
        record). `profile_of`: the caller's profile, for the usage report by profile."""
        self._redis = redis
        self._prefix = prefix
        self._is_extension = is_extension
        self._profile_of = profile_of
        self._clock = clock
        self._calls: dict[str, _Call] = {}

    def stream_key(self, tenant: str) -> str:
        return cdr_stream(self._prefix, tenant)

    async def run(self, events: asyncio.Queue[pbx.CallEvent]) -> None:
        """Follow the PBX's event feed (`PbxService.subscribe()`) until cancelled."""
        while True:
            event = await events.get()
            try:
                await self.on_event(event)
            except Exception:  # a record lost is logged; the calls go on
                log.exception("call-detail record for %r failed", event)

    async def on_event(self, event: pbx.CallEvent) -> None:
        now = self._clock()
        if isinstance(event, pbx.CallOffered):
            tenant = event.tenant
            caller_is_ours = self._is_extension(tenant, event.caller)
            if event.source is pbx.CallSource.EXTENSION and caller_is_ours:
                internal = self._is_extension(tenant, event.called)
                direction = "internal" if internal else "outbound"
                self._calls[event.call_id] = _Call(
                    tenant, event.caller, event.called, direction, now
                )
        elif isinstance(event, pbx.CallAnswered) and event.leg_id:
            call = self._calls.get(event.call_id)
            if call is not None and call.answer is None:
                call.answer = now
        elif isinstance(event, pbx.CallTransferred):
            self._calls.pop(event.call_id, None)  # handed on; the new leg has its own record
        elif isinstance(event, pbx.CallHungUp):
            finished = self._calls.pop(event.call_id, None)
            if finished is not None:
                await self._publish(event.call_id, finished, now)

    async def _publish(self, call_id: str, call: _Call, end: float) -> None:
        details: dict[str, str] = {}
        if call.direction == "outbound":
            # The category the calling plan decided on, from the same numbering rules
            # (mobile, premium rate...), not the reports' national/international guess.
            outside = outside_number(call.called)
            if outside is not None:
                details["category"] = outside.category.value
        if self._profile_of is not None:
            profile = await asyncio.to_thread(self._profile_of, call.tenant, call.caller)
            if profile is not None:
                details["profile"] = profile
        record = {
            "type": "CALL_DETAIL",
            "sequence": 0,
            "timestamp": end,
            "tenant": call.tenant,
            "reason": "call ended",
            "call_center_id": None,
            "call_id": call_id,
            "agent": None,
            "caller": call.caller,
            "data": {
                "called": call.called,
                "direction": call.direction,
                "start": call.start,
                "answer": call.answer,
                "end": end,
                "outcome": "answered" if call.answer is not None else "unanswered",
                **details,
            },
        }
        await self._redis.xadd(self.stream_key(call.tenant), {"event": json.dumps(record)})

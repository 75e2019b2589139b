"""bench/chaos.py's measure of connected calls (docs/chaos.md, "connected at the fault /
dropped") on a real Redis stream: a call counts as connected at the fault when it was answered
before it and released after it, and as dropped unless exactly one release by the caller ended
it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from bench.chaos import CALL_CENTER, TENANT, connected_calls
from common.redis_keys import event_stream


@pytest.fixture
def redis() -> Iterator[Redis]:
    with Redis.from_url("redis://127.0.0.1:6379/0") as client:
        yield client


def test_connected_calls_and_the_ones_dropped(redis: Redis) -> None:
    prefix = f"chaos-measure-{uuid.uuid4().hex[:8]}"
    stream = event_stream(prefix, TENANT)
    sequence = 0

    def emit(kind: str, call_id: str, **data: str) -> None:
        nonlocal sequence
        sequence += 1
        event = {"type": kind, "call_center_id": CALL_CENTER, "call_id": call_id, "data": data}
        redis.xadd(stream, {"event": json.dumps(event)}, id=f"{sequence}-0")

    try:
        for call_id in "abcdef":
            emit("CALL_ADDED", call_id)
        for call_id in "abcd":  # e waits through the fault
            emit("CALL_ANSWERED", call_id)
        emit("CALL_RELEASED", "d", released_by="caller")  # over before the fault
        fault_at = f"{sequence}-0"
        emit("CALL_RELEASED", "a", released_by="caller")  # clean
        emit("CALL_RELEASED", "b", released_by="platform")  # lost by the platform
        # c never ends
        emit("CALL_ANSWERED", "e")  # answered after the fault: not connected at it
        emit("CALL_RELEASED", "e", released_by="platform")
        emit("CALL_ABANDONED", "f")
        assert connected_calls(redis, prefix, fault_at) == (3, 2)
    finally:
        redis.delete(stream)

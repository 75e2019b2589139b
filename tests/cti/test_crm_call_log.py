"""Finished calls reach the CRM call-logging queue with their disposition, on real Redis/rq."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from rq import Queue

from common.job_queues import job_queue
from crm_connectors.service import CallLogger
from cti.crm_call_log import CrmCallLogging
from queueing.events import DomainEvent, EventType


@pytest.fixture
def queue() -> Iterator[Queue]:
    connection = Redis.from_url("redis://127.0.0.1:6379/0")
    crm_queue = job_queue(f"test-crm-log-{uuid.uuid4().hex[:8]}", connection)
    yield crm_queue
    crm_queue.empty()
    crm_queue.delete(delete_jobs=True)
    connection.close()


def event(kind: EventType, sequence: int, **data: Any) -> DomainEvent:
    call_id = data.pop("call_id", "call-1")
    return DomainEvent(
        kind, sequence, 1_800_000_000.0 + sequence, "demo", "test", "7001", call_id, "1001",
        "+31201234567", data,
    )  # fmt: skip


def logged(queue: Queue) -> list[dict[str, Any]]:
    return [job.args[0] for job in queue.get_jobs()]


async def test_call_is_logged_with_the_disposition_entered_in_wrap_up(queue: Queue) -> None:
    logging = CrmCallLogging(CallLogger(queue))
    logging.on_event(event(EventType.CALL_RELEASED, 1, talk_seconds=42.4, released_by="caller"))
    logging.on_event(event(EventType.AGENT_STATE_CHANGED, 2, state="WRAP_UP"))
    await logging.drain()
    assert logged(queue) == []  # waits for the code
    logging.on_event(event(EventType.DISPOSITION_ENTERED, 3, code="sale"))
    logging.on_event(event(EventType.AGENT_STATE_CHANGED, 4, state="AVAILABLE"))
    await logging.drain()
    (call,) = logged(queue)
    assert (call["call_id"], call["number"], call["agent"]) == ("call-1", "+31201234567", "1001")
    assert (call["disposition"], call["duration_s"], call["direction"]) == ("sale", 42, "inbound")


async def test_without_a_code_the_call_is_logged_when_wrap_up_ends(queue: Queue) -> None:
    logging = CrmCallLogging(CallLogger(queue))
    logging.on_event(event(EventType.CALL_RELEASED, 1, talk_seconds=5.0, released_by="agent"))
    logging.on_event(event(EventType.AGENT_STATE_CHANGED, 2, state="WRAP_UP"))
    logging.on_event(event(EventType.AGENT_STATE_CHANGED, 3, state="AVAILABLE"))
    await asyncio.wait_for(logging.drain(), 10)
    assert [c["disposition"] for c in logged(queue)] == [""]


async def test_a_code_for_another_call_does_not_stick_to_the_pending_one(queue: Queue) -> None:
    logging = CrmCallLogging(CallLogger(queue))
    logging.on_event(event(EventType.CALL_RELEASED, 1, talk_seconds=5.0, released_by="agent"))
    logging.on_event(event(EventType.DISPOSITION_ENTERED, 2, code="sale", call_id="older"))
    logging.on_event(event(EventType.AGENT_STATE_CHANGED, 3, state="AVAILABLE"))
    await logging.drain()
    assert [c["disposition"] for c in logged(queue)] == [""]

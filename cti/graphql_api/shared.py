"""Shared subscriptions: one GraphQL execution per audience, not one per subscriber.

strawberry executes a subscription's selection set once per subscriber for every event
(~0.2-0.4 ms each here); 500 dashboards watching the same queue would cost that 500 times per
event. Subscribers that would receive exactly the same stream share one execution instead:
same audience (`cti.graphql_api.audience`: tenant and authorization scope), same document,
same variables, live only. The group's results go to every member's bounded queue.

Resuming subscriptions (a non-null `afterSequence`) are not shared: each replays its own past.
A member whose queue overflows (a client that cannot keep up) gets an error telling it to
resubscribe with `afterSequence`, so it loses nothing but the shared ride.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
)
from strawberry.types import ExecutionResult

RESUME_ARGUMENT = "afterSequence"
MEMBER_QUEUE_SIZE = 1000

GroupKey = tuple[Any, ...]


class TooSlow(GraphQLError):
    def __init__(self, last_sequence: int | None) -> None:
        hint = "" if last_sequence is None else f" (last sequence sent: {last_sequence})"
        super().__init__(
            "subscriber too slow: resubscribe with afterSequence to get what you missed" + hint,
            extensions={"code": "TOO_SLOW"},
        )


@lru_cache(maxsize=256)
def parse_cached(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


def is_live_only_subscription(
    query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> bool:
    """A subscription whose fields all have no (or a null) `afterSequence`."""
    document = parse_cached(query)
    if document is None:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        return False
    for selection in operations[0].selection_set.selections:
        for argument in getattr(selection, "arguments", None) or ():
            if argument.name.value != RESUME_ARGUMENT:
                continue
            value = argument.value
            if isinstance(value, NullValueNode):
                continue
            if isinstance(value, VariableNode) and (variables or {}).get(value.name.value) is None:
                continue
            return False
    return True


@dataclass(frozen=True, slots=True)
class SharedResult:
    """A result and its `next` payload as JSON, serialized once for the whole group."""

    result: ExecutionResult
    payload_json: str


def next_payload_json(result: ExecutionResult) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return json.dumps(payload, separators=(",", ":"))


@dataclass(eq=False)
class _Member:
    queue: asyncio.Queue[SharedResult | BaseException]


@dataclass(eq=False)
class _Group:
    members: set[_Member] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class SharedSubscriptions:
    def __init__(self, member_queue_size: int = MEMBER_QUEUE_SIZE) -> None:
        self._groups: dict[GroupKey, _Group] = {}
        self._member_queue_size = member_queue_size

    @property
    def group_count(self) -> int:
        return len(self._groups)

    @contextlib.asynccontextmanager
    async def join(self, key: GroupKey, start: Any) -> AsyncIterator[AsyncIterator[SharedResult]]:
        """Join (or start, with `start()` -> the strawberry result stream) the key's group."""
        group = self._groups.get(key)
        if group is None:
            group = _Group()
            self._groups[key] = group
            group.task = asyncio.create_task(self._run(key, group, start))
        member = _Member(asyncio.Queue(maxsize=self._member_queue_size))
        group.members.add(member)
        try:
            yield self._results(member)
        finally:
            group.members.discard(member)
            if not group.members and self._groups.get(key) is group:
                del self._groups[key]
                if group.task is not None:
                    group.task.cancel()

    async def _results(self, member: _Member) -> AsyncIterator[SharedResult]:
        while True:
            item = await member.queue.get()
            if isinstance(item, StopAsyncIteration):
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    async def _run(self, key: GroupKey, group: _Group, start: Any) -> None:
        last_sequence: int | None = None
        try:
            results = await start()
            async with contextlib.aclosing(results):
                async for result in results:
                    last_sequence = _sequence_of(result) or last_sequence
                    shared = SharedResult(result, next_payload_json(result))
                    for member in list(group.members):
                        try:
                            member.queue.put_nowait(shared)
                        except asyncio.QueueFull:
                            group.members.discard(member)
                            _force_put(member.queue, TooSlow(last_sequence))
            end: BaseException = StopAsyncIteration()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            end = error
        if self._groups.get(key) is group:
            del self._groups[key]
        for member in list(group.members):
            _force_put(member.queue, end)


def _force_put(queue: asyncio.Queue[Any], item: Any) -> None:
    """Make room for a final item: the member is leaving, older results no longer matter."""
    while True:
        try:
            queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            queue.get_nowait()


def _sequence_of(result: ExecutionResult) -> int | None:
    data = result.data
    if not isinstance(data, dict):
        return None
    for value in data.values():
        if isinstance(value, dict) and isinstance(value.get("sequence"), int):
            sequence: int = value["sequence"]
            return sequence
    return None

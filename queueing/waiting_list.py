"""The waiting calls of one call center, in service order, with O(log n) operations.

Two views of the same calls: `ordered` holds every waiting call (offered or not) sorted by
(priority descending, order key), so positions are an index lookup; `ready` is a heap of the calls
that may be offered right now, with lazy deletion so removing a call is O(1) and a pop O(log n).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from sortedcontainers import SortedList

Key = tuple[int, float, str]
"""(-priority, order, call_id): smaller is served first."""


def make_key(call_id: str, priority: int, order: float) -> Key:
    return (-priority, order, call_id)


@dataclass(eq=False, slots=True)
class WaitingList:
    ordered: SortedList[Key] = field(default_factory=SortedList)
    keys: dict[str, Key] = field(default_factory=dict)
    ready_heap: list[Key] = field(default_factory=list)
    ready: dict[str, Key] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self.keys

    def __eq__(self, other: object) -> bool:
        # Stale heap entries are an implementation detail: equal lists hold the same calls
        # in the same order with the same ones ready.
        if not isinstance(other, WaitingList):
            return NotImplemented
        return list(self.ordered) == list(other.ordered) and self.ready == other.ready

    def add(self, key: Key) -> None:
        self.keys[key[2]] = key
        self.ordered.add(key)

    def remove(self, call_id: str) -> None:
        key = self.keys.pop(call_id)
        self.ordered.remove(key)
        self.ready.pop(call_id, None)

    def set_ready(self, call_id: str) -> None:
        key = self.keys[call_id]
        self.ready[call_id] = key
        heapq.heappush(self.ready_heap, key)

    def set_not_ready(self, call_id: str) -> None:
        self.ready.pop(call_id, None)
        if len(self.ready_heap) > 2 * len(self.ready) + 32:
            self.ready_heap = list(self.ready.values())
            heapq.heapify(self.ready_heap)

    def rekey(self, call_id: str, key: Key) -> None:
        was_ready = call_id in self.ready
        self.remove(call_id)
        self.add(key)
        if was_ready:
            self.set_ready(call_id)

    def best_ready(self) -> Key | None:
        heap = self.ready_heap
        while heap:
            top = heap[0]
            if self.ready.get(top[2]) == top:
                return top
            heapq.heappop(heap)
        return None

    def position(self, call_id: str) -> int:
        return int(self.ordered.index(self.keys[call_id])) + 1

    def position_for(self, key: Key) -> int:
        """Where a call with `key` would stand if it were added now."""
        return int(self.ordered.bisect_left(key)) + 1

    def key_at(self, index: int) -> Key:
        key: Key = self.ordered[index]
        return key

    def call_ids(self) -> list[str]:
        return [key[2] for key in self.ordered]

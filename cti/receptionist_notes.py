"""The receptionist console's call history with a note per call (docs/receptionist.md).

The history is logged here: every call that rings a receptionist's phone (the first ringing of
each call: a re-offer, the console's answer, does not count twice) goes onto that receptionist's
list in Redis (`receptionist_history`, the latest `HISTORY_LENGTH`). The receptionists are the
lines whose console was opened (`register`, kept in Redis so a restart keeps logging them).
Notes are kept per tenant (`receptionist_notes`: call id -> text, who wrote it, when), so each
receptionist of the company sees the note on a call they share; a note may only be written on a
call of the writer's own history (nothing is learnt or written about other calls).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from common.redis_keys import receptionist_history, receptionist_lines, receptionist_notes
from cti.receptionist import ConsoleError
from pbx_core import call_control as cc
from pbx_core.presence.dialog_state import Change, DialogPhase, Direction, Line

log = logging.getLogger(__name__)

HISTORY_LENGTH = 50
NOTE_LENGTH = 2000
SEEN_CALLS = 10_000
"""Calls remembered as logged already (a call rings a receptionist again when answered from the
console: same call, one entry)."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    call_id: str
    caller: str
    caller_name: str
    at: float
    note: str = ""
    note_by: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "callId": self.call_id,
            "caller": self.caller,
            "callerName": self.caller_name,
            "at": self.at,
            "note": self.note,
            "noteBy": self.note_by,
        }


class CallNotes:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._lines: set[Line] = set()
        self._seen: set[tuple[Line, str]] = set()
        self._seen_order: deque[tuple[Line, str]] = deque()
        self._writes: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """The receptionists known before a restart."""
        for member in await self._redis.smembers(receptionist_lines(self._prefix)):
            tenant, _, extension = str(member).partition("/")
            self._lines.add((tenant, extension))

    async def register(self, tenant: str, extension: str) -> None:
        """`extension` opened the console: its calls are logged from now on."""
        if (tenant, extension) not in self._lines:
            self._lines.add((tenant, extension))
            await self._redis.sadd(receptionist_lines(self._prefix), f"{tenant}/{extension}")

    def on_changes(self, _event: cc.CallEvent, changes: list[Change]) -> None:
        """A console follower: a call newly ringing a receptionist is logged."""
        for change in changes:
            line = (change.tenant, change.extension)
            dialog = change.dialog
            if (
                line not in self._lines
                or dialog.direction is not Direction.RECIPIENT
                or dialog.phase is not DialogPhase.EARLY
                or (line, dialog.call_id) in self._seen
            ):
                continue
            self._remember(line, dialog.call_id)
            entry = {"callId": dialog.call_id, "caller": dialog.remote,
                     "callerName": dialog.remote_name, "at": time.time()}  # fmt: skip
            task = asyncio.create_task(self._log(line, entry))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    def _remember(self, line: Line, call_id: str) -> None:
        self._seen.add((line, call_id))
        self._seen_order.append((line, call_id))
        if len(self._seen_order) > SEEN_CALLS:
            self._seen.discard(self._seen_order.popleft())

    async def _log(self, line: Line, entry: dict[str, Any]) -> None:
        key = receptionist_history(self._prefix, *line)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.lpush(key, json.dumps(entry))
                pipe.ltrim(key, 0, HISTORY_LENGTH - 1)
                await pipe.execute()
        except Exception:  # the call goes on; its history entry is lost
            log.exception("could not log call %s for %s", entry["callId"], line)

    async def history(self, tenant: str, extension: str) -> list[HistoryEntry]:
        calls = await self._calls(tenant, extension)
        ids = [str(c["callId"]) for c in calls]
        notes = {}
        if ids:
            raw = await self._redis.hmget(receptionist_notes(self._prefix, tenant), ids)
            notes = {c: json.loads(r) for c, r in zip(ids, raw, strict=True) if r}
        return [_entry(call, notes.get(str(call["callId"]))) for call in calls]

    async def write(self, tenant: str, extension: str, username: str, call_id: str,
                    text: str) -> HistoryEntry:  # fmt: skip
        """`text` ("" removes it) on `call_id`, a call of `extension`'s history."""
        calls = [c for c in await self._calls(tenant, extension) if c["callId"] == call_id]
        if not calls:
            raise ConsoleError(404, "unknown_call", "no such call in your history")
        key = receptionist_notes(self._prefix, tenant)
        note = {"text": text.strip(), "by": username, "at": time.time()}
        if note["text"]:
            await self._redis.hset(key, call_id, json.dumps(note))
        else:
            await self._redis.hdel(key, call_id)
        return _entry(calls[0], note if note["text"] else None)

    async def _calls(self, tenant: str, extension: str) -> list[dict[str, Any]]:
        key = receptionist_history(self._prefix, tenant, extension)
        return [json.loads(raw) for raw in await self._redis.lrange(key, 0, -1)]


def _entry(call: dict[str, Any], note: dict[str, Any] | None) -> HistoryEntry:
    return HistoryEntry(
        call_id=str(call["callId"]),
        caller=str(call["caller"]),
        caller_name=str(call["callerName"]),
        at=float(call["at"]),
        note=str(note["text"]) if note else "",
        note_by=str(note["by"]) if note else "",
    )

"""Call-center commands from a node in standby to the node running the tenant's queue engine,
over Redis (docs/deploy.md, "A tenant's queue engine on one node at a time", point 9): any node
serves an agent's or supervisor's command, whichever one the HTTP balancer picked.

`CommandRelay.send` (the standby side) pushes a JSON request `{id, tenant, command, arguments,
deadline}` onto the tenant's list and waits for the reply on the request's own key.
`RelayConsumer` (the holder side) pops the lists of the tenants it runs, carries each command out
against its own engine and pushes the reply: `{"ok": true, "result": ...}` or `{"ok": false,
"code": ..., "message": ...}`, the engine's `ControlError` unchanged.

A command is carried out at most once, and never after its sender was told it failed: the holder
and a sender that gave up race for one `SET NX` claim, so either the holder takes the command
(and the sender waits for its reply) or the sender gave up first (and the holder drops it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from common import redis_keys
from cti.control import ControlError
from cti.engine_commands import BadCommand, Command, CommandControl, decode, encode, name_of
from cti.snapshots import ActiveCallSnapshot, AgentSnapshot, CallCenterSnapshot, SnapshotStore

log = logging.getLogger(__name__)

WAIT_SECONDS = 3.0
"""How long a sender waits for the holder to take its command (the request's deadline): a live
holder pops it within milliseconds; past that no node runs the tenant, or it is down."""
RUN_SECONDS = 10.0
"""How long a sender waits for the reply once the holder took the command: the longest command
waits 3 s for the PBX (`PBX_CONFIRM_SECONDS`), then for its events to be published."""
POLL_SECONDS = 1.0
"""The holder's blocking pop returns this often to pick up the tenants it took over since."""
REQUESTS_TTL_SECONDS = 60
"""A tenant's request list nobody reads (no node runs the tenant) vanishes this long after the
last request."""
REPLY_TTL_SECONDS = 30
"""A reply or claim outlives its sender's wait: then it is garbage."""

REQUEST_ID = re.compile(r"[0-9a-f]{32}")


async def push_expiring(redis: Redis, key: str, value: str, ttl_seconds: int) -> None:
    """Append `value` to the list `key`, which lapses `ttl_seconds` after its last push (a
    request or reply nobody takes does not stay in Redis)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, value)
        pipe.expire(key, ttl_seconds)
        await pipe.execute()


def _bad_relay(tenant: str, why: str) -> ControlError:
    return ControlError(
        "engine_unreachable",
        f"the call-center engine of {tenant!r} runs on another node, {why}",
    )


class CommandRelay:
    """The sending side: a node in standby for a tenant (or an API node without an engine)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        wait: float = WAIT_SECONDS,
        run: float = RUN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._wait = wait
        self._run = run
        self._clock = clock
        """Wall clock: the deadline is read on another machine (clocks kept by NTP)."""

    async def send(self, tenant: str, command: Command) -> str | None:
        """The holder's result, or its `ControlError`; `engine_unreachable` when no node took the
        command within the wait (it is then never carried out)."""
        request_id = uuid.uuid4().hex
        request = {
            "id": request_id,
            "tenant": tenant,
            "command": name_of(command),
            "arguments": encode(command),
            "deadline": self._clock() + self._wait,
        }
        requests = redis_keys.engine_commands(self._prefix, tenant)
        reply_key = redis_keys.engine_command_reply(self._prefix, tenant, request_id)
        try:
            await push_expiring(self._redis, requests, json.dumps(request), REQUESTS_TTL_SECONDS)
        except RedisError as exc:
            raise _bad_relay(tenant, f"and Redis failed: {exc}; nothing was done") from exc
        try:
            reply = await self._pop(reply_key, self._wait)
            if reply is None:
                claim = redis_keys.engine_command_claim(self._prefix, tenant, request_id)
                if await self._redis.set(claim, "abandoned", nx=True, ex=REPLY_TTL_SECONDS):
                    raise _bad_relay(
                        tenant,
                        f"which did not take the command within {self._wait:g} s (no node runs"
                        " it now, or it is down); nothing was done: try again in a few seconds",
                    )
                reply = await self._pop(reply_key, self._run)
                if reply is None:
                    raise _bad_relay(
                        tenant,
                        f"which took the command but did not answer within {self._run:g} s;"
                        " check whether it took effect before trying again",
                    )
        except RedisError as exc:
            raise _bad_relay(
                tenant, f"and Redis failed: {exc}; check whether the command took effect"
            ) from exc
        return _outcome(tenant, reply)

    async def _pop(self, key: str, seconds: float) -> str | bytes | None:
        """`BLPOP` for up to `seconds`, in slices: a client's reads time out after 5 s (redis-py's
        default), a blocking command's included."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            # Never 0, which Redis takes as "block for ever".
            popped = await self._redis.blpop([key], timeout=max(min(left, POLL_SECONDS), 0.01))
            if popped is not None:
                return popped[1]
        return None


def relayed_control(redis: Redis, prefix: str) -> CommandControl:
    """The `CallCenterControl` of an API process without an engine: every command relayed to
    the node running the tenant's engine, reads from the live snapshot in Redis."""
    return CommandControl(CommandRelay(redis, prefix).send, reads=SnapshotReads(redis, prefix))


class SnapshotReads:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._snapshots = SnapshotStore(redis, prefix)

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        return await self._snapshots.call_centers(tenant)

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        return await self._snapshots.agents(tenant)

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        return await self._snapshots.calls(tenant)


def _outcome(tenant: str, raw: str | bytes) -> str | None:
    """The result a reply carries, or its error raised."""
    try:
        reply = json.loads(raw)
        if reply["ok"] is True and (reply["result"] is None or isinstance(reply["result"], str)):
            return reply["result"]
        if reply["ok"] is False and isinstance(reply["code"], str):
            raise ControlError(reply["code"], str(reply["message"]))
    except (ValueError, TypeError, KeyError, RecursionError):
        pass
    log.error("%s: a relayed command's reply makes no sense: %.200r", tenant, raw)
    raise _bad_relay(tenant, "whose reply made no sense (logged); check the command's effect")


@dataclass(frozen=True)
class Request:
    id: str
    command: Command
    deadline: float


class BadRequest(ValueError):
    def __init__(self, request_id: str | None, why: str) -> None:
        super().__init__(why)
        self.request_id = request_id
        """Where to send the refusal, when the request had a usable id."""


def parse_request(raw: str | bytes, tenant: str) -> Request:
    """A request popped from `tenant`'s list, checked field by field: it comes from Redis, so
    anything that can write there can put anything on the list."""
    try:
        request = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than Python
        raise BadRequest(None, f"not JSON: {exc}") from None
    if not isinstance(request, dict):
        raise BadRequest(None, f"not a JSON object but {type(request).__name__}")
    request_id = request.get("id")
    if not isinstance(request_id, str) or not REQUEST_ID.fullmatch(request_id):
        raise BadRequest(None, f"no usable id: {request_id!r}")
    if request.get("tenant") != tenant:
        # Only the list says which tenant a command is for: never the request itself.
        raise BadRequest(request_id, f"tenant {request.get('tenant')!r} on {tenant!r}'s list")
    deadline = request.get("deadline")
    if not isinstance(deadline, int | float) or isinstance(deadline, bool):
        raise BadRequest(request_id, f"deadline {deadline!r} is not a time")
    try:
        command = decode(request.get("command"), request.get("arguments"))
    except BadCommand as exc:
        raise BadRequest(request_id, str(exc)) from None
    return Request(request_id, command, float(deadline))


class RelayConsumer:
    """The holder's side: one blocking pop over the request lists of every tenant it runs
    (`held`), each command carried out by `execute` in a task of its own (a slow one, waiting
    for the PBX, holds up no other)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        held: Callable[[], Collection[str]],
        execute: Callable[[str, Command], Awaitable[str | None]],
        clock: Callable[[], float] = time.time,
        poll: float = POLL_SECONDS,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._held = held
        self._execute = execute
        self._clock = clock
        self._poll = poll
        self._task: asyncio.Task[None] | None = None
        self._serving: set[asyncio.Task[None]] = set()
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="engine-command-relay")

    async def stop(self) -> None:
        """Take no more commands; let those under way answer (they are bounded by the PBX's
        confirmation), then cancel what is left."""
        self._stopping = True  # redis-py can turn the cancel of a blocking pop into an error
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._serving:
            await asyncio.wait(self._serving, timeout=RUN_SECONDS)
        for task in self._serving:
            task.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._take_one()
            except RedisError as exc:
                log.warning("relayed commands: cannot read them: %s", exc)
                await asyncio.sleep(self._poll)
            except UnicodeDecodeError as exc:  # popped by a client decoding replies as text
                log.warning("relayed commands: a request that is no text dropped: %s", exc)
            except Exception:  # whatever it was, it is gone: the next one is read
                log.exception("relayed commands: a request could not be read")

    async def _take_one(self) -> None:
        lists = {redis_keys.engine_commands(self._prefix, t): t for t in self._held()}
        if not lists:
            await asyncio.sleep(self._poll)
            return
        popped = await self._redis.blpop(list(lists), timeout=self._poll)
        if popped is None:
            return
        key, raw = (_text(part) for part in popped)
        tenant = lists[key]
        if tenant not in self._held():  # stepped down meanwhile: the next holder's now
            await self._redis.lpush(key, raw)
            return
        task = asyncio.create_task(self._serve(tenant, raw), name=f"relayed-command-{tenant}")
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _serve(self, tenant: str, raw: str) -> None:
        try:
            request = parse_request(raw, tenant)
        except BadRequest as bad:
            log.warning("%s: relayed command refused: %s: %.200r", tenant, bad, raw)
            if bad.request_id is not None:
                await self._reply(tenant, bad.request_id, _error("bad_request", str(bad)))
            return
        if self._clock() > request.deadline:
            log.warning("%s: relayed %s dropped: its sender has stopped waiting", tenant,
                        name_of(request.command))  # fmt: skip
            return
        claim = redis_keys.engine_command_claim(self._prefix, tenant, request.id)
        try:
            taken = await self._redis.set(claim, "taken", nx=True, ex=REPLY_TTL_SECONDS)
        except RedisError as exc:
            log.warning("%s: relayed command not taken (its sender times out): %s", tenant, exc)
            return
        if not taken:
            log.warning("%s: relayed %s dropped: its sender gave up", tenant,
                        name_of(request.command))  # fmt: skip
            return
        await self._reply(tenant, request.id, await self._outcome(tenant, request.command))

    async def _outcome(self, tenant: str, command: Command) -> dict[str, Any]:
        try:
            return {"ok": True, "result": await self._execute(tenant, command)}
        except ControlError as refused:
            return _error(refused.code, refused.message)
        except Exception:  # a bug in one command must not leave its sender waiting in vain
            log.exception("%s: relayed %s failed", tenant, name_of(command))
            return _error("engine_failed", f"the engine failed on {name_of(command)} (logged)")

    async def _reply(self, tenant: str, request_id: str, reply: dict[str, Any]) -> None:
        key = redis_keys.engine_command_reply(self._prefix, tenant, request_id)
        try:
            await push_expiring(self._redis, key, json.dumps(reply), REPLY_TTL_SECONDS)
        except RedisError as exc:
            log.warning("%s: a relayed command's reply is lost: %s", tenant, exc)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": message}


def _text(value: str | bytes) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value

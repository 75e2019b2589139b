"""The Redis side of the tenant engine lease: which node runs a tenant's queue engine
(docs/deploy.md, "A tenant's queue engine on one node at a time"; the decisions are the pure
`cti/engine_lease_policy.py`).

`LeaseStore` talks to Redis: the lease `{prefix}:{tenant}:engine:lease` holds
`{node id}:{token}` and expires unless renewed; the token comes from the counter
`{prefix}:{tenant}:engine:fence`, incremented by every acquisition, and the journal refuses a
write carrying an older one (cti/engine_journal.py). Through Sentinel, an acquisition or a
renewal counts only once a replica the Sentinels could promote confirms it has it (`WAIT`):
replication is asynchronous, and a failover to a replica that missed it would hand the same token
to another node, or free a lease its holder still trusts (docs/deploy.md, "The lease across a
Redis failover"). `LeaseKeeper` runs the rounds: acquire
what this node does not hold, renew what it holds, and tell the runtime to take a tenant over
or to step down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import assert_never

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from common import redis_keys
from common.redis_connect import ReplicaAcks
from cti.engine_lease_policy import (
    Acquired,
    Fenced,
    Holding,
    LeaseInput,
    LeaseState,
    LeaseTimes,
    Lost,
    Renewed,
    Resume,
    Standby,
    StepDown,
    TakeOver,
    decide,
    due,
    trusted,
)

log = logging.getLogger(__name__)

REPLICA_WAIT_MS = 500
"""How long an acquisition or renewal waits for the replica's confirmation: it takes a round
trip normally; without it by then the replica is cut off, and the answer counts as none."""

NODE_ID_FILE = "engine-node-id"
"""In the var directory: the node's id, the same across restarts, so a restarted node takes its
own lease back at once instead of waiting for it to expire."""

# Acquire: free, or held by this very node (its previous run): take it with a new token. One
# script, so the token is only ever incremented by the node that gets the lease: incrementing it
# on a failed attempt would fence out the live holder's writes.
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. ':' then
  return false
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
"""

# Renew: still ours, or lapsed (Redis unreachable or paused longer than the lease) with nobody
# taking it since, which the fence tells (it would hold a newer token; absent only when Redis
# lost everything, the journal too): then the token is still the newest and the lease is ours.
_RENEW = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if current then
  return 0
end
local fence = redis.call('GET', KEYS[2])
if fence and fence ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def node_id(var_dir: Path) -> str:
    """This node's id, made once and kept in `var_dir` (one product process per var directory)."""
    path = var_dir / NODE_ID_FILE
    if path.exists():
        return path.read_text().strip()
    made = uuid.uuid4().hex[:16]
    path.write_text(made + "\n")
    return made


class LeaseStore:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        node: str,
        times: LeaseTimes,
        *,
        replicas: ReplicaAcks | None = None,
    ) -> None:
        if not node or ":" in node:
            raise ValueError(f"a node id is non-empty and has no ':': {node!r}")
        self.node = node
        self._redis = redis
        self._replicas = replicas or ReplicaAcks(redis)
        """How many replicas must confirm an acquisition or renewal before it counts."""
        self._prefix = prefix
        self._ttl_ms = int(times.ttl * 1000)
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def _keys(self, tenant: str) -> list[str]:
        return [
            redis_keys.engine_lease(self._prefix, tenant),
            redis_keys.engine_fence(self._prefix, tenant),
        ]

    async def acquire(self, tenant: str) -> int | None:
        """The new fencing token; None while another node holds the lease, or when the replica
        did not confirm it (the next round acquires again, with a newer token: the unconfirmed
        one is never used, so no node can be given it twice)."""
        token, confirmed = await self._replicated(self._acquire, tenant, [self.node, self._ttl_ms])
        return token if confirmed else None

    async def renew(self, tenant: str, token: int) -> bool | None:
        """True: renewed; False: another node holds the lease; None: not known to outlive a
        failover (the replica did not confirm it), so the holder's trust is not extended."""
        value = f"{self.node}:{token}"
        renewed, confirmed = await self._replicated(
            self._renew, tenant, [value, self._ttl_ms, token]
        )
        if not renewed:
            return False
        return True if confirmed else None

    async def _replicated(
        self, script: AsyncScript, tenant: str, args: list[str | int]
    ) -> tuple[int | None, bool]:
        """The script's answer (an integer or nil), and whether the replicas confirmed its
        writes: `WAIT` counts the writes of its own connection, so both go in one pipeline."""
        required = await self._replicas.required()
        if not required:
            return _integer(await script(keys=self._keys(tenant), args=args)), True
        async with self._redis.pipeline(transaction=False) as pipe:
            await script(keys=self._keys(tenant), args=args, client=pipe)
            pipe.wait(required, REPLICA_WAIT_MS)
            answer, acked = await pipe.execute()
        if int(acked) < required:
            log.warning("%s: engine lease change not confirmed by a replica (%s of %d)",
                        tenant, acked, required)  # fmt: skip
            return _integer(answer), False
        return _integer(answer), True

    async def release(self, tenant: str, token: int) -> None:
        key = redis_keys.engine_lease(self._prefix, tenant)
        await self._release(keys=[key], args=[f"{self.node}:{token}"])


def _integer(answer: object) -> int | None:
    return None if answer is None else int(str(answer))


class LeaseKeeper:
    """The lease of every tenant this node may run: `round()` acquires and renews (a task runs
    it every `times.renew` seconds), `trusted()` is the check before each use of the engine."""

    def __init__(
        self,
        store: LeaseStore,
        *,
        take_over: Callable[[str, int], Awaitable[None]],
        step_down: Callable[[str, str], None],
        resume: Callable[[str], None],
        times: LeaseTimes,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._take_over = take_over
        self._step_down = step_down
        self._resume = resume
        self._times = times
        self._clock = clock
        self._states: dict[str, LeaseState] = {}
        self._task: asyncio.Task[None] | None = None
        self._round_lock = asyncio.Lock()
        """One round at a time: two would both acquire a tenant free to this node, and take it
        over twice."""

    def track(self, tenant: str) -> None:
        self._states.setdefault(tenant, Standby())

    def trusted(self, tenant: str) -> bool:
        """Whether the tenant's engine may step inputs and command the PBX now."""
        state = self._states.get(tenant)
        return state is not None and trusted(state, self._clock(), self._times)

    def fenced(self, tenant: str) -> None:
        """A journal write with our token was refused: another node runs the tenant."""
        if tenant in self._states:
            self._apply(tenant, Fenced())

    def _apply(self, tenant: str, event: LeaseInput) -> TakeOver | None:
        state, action = decide(self._states[tenant], event)
        self._states[tenant] = state
        match action:
            case None:
                return None
            case TakeOver():
                return action
            case StepDown(reason=reason):
                self._step_down(tenant, reason)
                return None
            case Resume():
                self._resume(tenant)
                return None
            case _:
                assert_never(action)

    async def round(self) -> None:
        """Ask Redis for every tenant at once, then take over what was acquired."""
        async with self._round_lock:
            await self._round()

    async def _round(self) -> None:
        tenants = list(self._states)
        answers = await asyncio.gather(*(self._ask(t) for t in tenants))
        for tenant, answer in zip(tenants, answers, strict=True):
            if answer is None:
                continue  # Redis unreachable: the clock decides whether the engine is trusted
            take = self._apply(tenant, answer)
            if take is None:
                continue
            try:
                await self._take_over(tenant, take.token)
            except Exception:  # Redis gone mid-recovery, say: not running it, try again later
                log.exception("%s: taking the engine over failed", tenant)
                self._states[tenant] = Lost("take-over failed")
                self._step_down(tenant, "take-over failed")

    async def _ask(self, tenant: str) -> Acquired | Renewed | None:
        state = self._states[tenant]
        sent_at = self._clock()
        try:
            if due(state) == "acquire":
                return Acquired(await self._store.acquire(tenant), sent_at)
            assert isinstance(state, Holding)
            renewed = await self._store.renew(tenant, state.token)
            # Unconfirmed by the replica: like Redis unreachable, the clock decides.
            return None if renewed is None else Renewed(renewed, sent_at)
        except RedisError as exc:
            log.warning("%s: engine lease round failed: %s", tenant, exc)
            return None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="engine-lease")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._times.renew)
            try:
                await self.round()
            except Exception:  # a take-over's failure must not end the rounds of every tenant
                log.exception("engine lease round failed")

    def halt(self) -> None:
        """Stop the rounds (before the runtime flushes its journal: no take-over meanwhile)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def release(self) -> None:
        """Release what this node holds, once its journal is flushed: another node takes over
        at once instead of after the lease's time."""
        self.halt()
        for tenant, state in self._states.items():
            if isinstance(state, Holding):
                try:
                    await self._store.release(tenant, state.token)
                except RedisError as exc:
                    log.warning("%s: engine lease not released (it expires): %s", tenant, exc)
        self._states.clear()

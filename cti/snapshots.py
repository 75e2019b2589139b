"""Live state snapshots in Redis, so any API process can answer queries.

The engine runtime (owner of the queue engine) is the only writer: after applying inputs it
writes what changed with `SnapshotStore.write(...)` (or `write_*` for single records). API
processes only read. Layout (also in docs/cti.md):

- `{prefix}:{tenant}:snapshot:call_centers`  hash  call center id -> CallCenterSnapshot JSON
  (configuration, switches, and the ordered waiting calls)
- `{prefix}:{tenant}:snapshot:agents`        hash  extension -> AgentSnapshot JSON
- `{prefix}:{tenant}:snapshot:calls`         hash  call id -> ActiveCallSnapshot JSON
  (calls offered to or connected with an agent: what "my calls" shows)
- `{prefix}:{tenant}:snapshot:meta`          hash  `sequence` (last event reflected), `written_at`

Times are absolute (seconds since the epoch): "waiting seconds" and "time in state" are
computed when read, so a snapshot does not need rewriting every second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from common.redis_keys import DEFAULT_PREFIX, snapshot_key


class AgentState(StrEnum):
    """ACD state of an agent across all call centers it joined (contract.md)."""

    SIGN_IN = "SIGN_IN"
    """Signed in but not yet available."""
    AVAILABLE = "AVAILABLE"
    """Ready to be offered calls."""
    UNAVAILABLE = "UNAVAILABLE"
    """Signed in, not taking calls; carries an unavailable code."""
    WRAP_UP = "WRAP_UP"
    """After-call work; the engine makes the agent available again when it ends."""
    SIGN_OUT = "SIGN_OUT"
    """Not working."""
    BUSY = "BUSY"
    """On a call (read-only: nobody sets it)."""


class StateCause(StrEnum):
    """Who changed an agent's state (the `cause` of AGENT_STATE_CHANGED)."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    PHONE = "phone"
    ENGINE = "engine"


@dataclass(frozen=True, slots=True)
class WaitingCallSnapshot:
    call_id: str
    caller: str
    position: int
    priority: int
    arrived_at: float
    callback: bool = False
    """A callback (docs/callback.md): its caller hung up and is called back in turn."""


@dataclass(frozen=True, slots=True)
class CallCenterSnapshot:
    id: str
    number: str
    name: str
    tier: str
    max_waiters: int
    members: tuple[str, ...] = ()
    waiting_calls: tuple[WaitingCallSnapshot, ...] = ()
    night_service_override: bool | None = None
    forced_forwarding: bool = False
    service_level_seconds: int = 20
    """The call center's service-level threshold (`CallCenterConfig.service_level_seconds`);
    20, that setting's default, in a snapshot written before the field was published."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CallCenterSnapshot:
        return cls(
            id=str(raw["id"]),
            number=str(raw["number"]),
            name=str(raw["name"]),
            tier=str(raw["tier"]),
            max_waiters=int(raw["max_waiters"]),
            members=tuple(raw.get("members") or ()),
            waiting_calls=tuple(WaitingCallSnapshot(**w) for w in raw.get("waiting_calls") or ()),
            night_service_override=raw.get("night_service_override"),
            forced_forwarding=bool(raw.get("forced_forwarding", False)),
            service_level_seconds=int(raw.get("service_level_seconds", 20)),
        )


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    extension: str
    state: AgentState
    state_since: float
    unavailable_code: str | None = None
    call_centers: tuple[str, ...] = ()
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "state": self.state.value}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AgentSnapshot:
        return cls(
            extension=str(raw["extension"]),
            state=AgentState(raw["state"]),
            state_since=float(raw["state_since"]),
            unavailable_code=raw.get("unavailable_code"),
            call_centers=tuple(raw.get("call_centers") or ()),
            name=str(raw.get("name") or ""),
        )


class CallPhase(StrEnum):
    RINGING = "RINGING"
    CONNECTED = "CONNECTED"
    HELD = "HELD"


@dataclass(frozen=True, slots=True)
class ActiveCallSnapshot:
    call_id: str
    agent: str
    caller: str
    phase: CallPhase
    since: float
    call_center_id: str | None = None
    recording: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "phase": self.phase.value}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ActiveCallSnapshot:
        return cls(
            call_id=str(raw["call_id"]),
            agent=str(raw["agent"]),
            caller=str(raw["caller"]),
            phase=CallPhase(raw["phase"]),
            since=float(raw["since"]),
            call_center_id=raw.get("call_center_id"),
            recording=bool(raw.get("recording", False)),
        )


@dataclass(frozen=True, slots=True)
class TenantSnapshot:
    call_centers: Sequence[CallCenterSnapshot] = ()
    agents: Sequence[AgentSnapshot] = ()
    calls: Sequence[ActiveCallSnapshot] = ()
    sequence: int = -1
    written_at: float = field(default=0.0)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


class SnapshotStore:
    """Reads (any process) and writes (the engine runtime only) a tenant's live snapshot."""

    def __init__(self, redis: Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    def key(self, tenant: str, part: str) -> str:
        return snapshot_key(self._prefix, tenant, part)

    async def write(self, tenant: str, snapshot: TenantSnapshot) -> None:
        """Replace the whole snapshot atomically (MULTI), so readers never see half of it."""
        pipe = self._redis.pipeline(transaction=True)
        parts: list[tuple[str, dict[str, str]]] = [
            ("call_centers", {c.id: _dumps(c.to_dict()) for c in snapshot.call_centers}),
            ("agents", {a.extension: _dumps(a.to_dict()) for a in snapshot.agents}),
            ("calls", {c.call_id: _dumps(c.to_dict()) for c in snapshot.calls}),
        ]
        for part, mapping in parts:
            pipe.delete(self.key(tenant, part))
            if mapping:
                pipe.hset(self.key(tenant, part), mapping=_any(mapping))
        pipe.hset(
            self.key(tenant, "meta"),
            mapping={
                "sequence": str(snapshot.sequence),
                "written_at": str(snapshot.written_at or time.time()),
            },
        )
        await pipe.execute()

    async def write_call_center(self, tenant: str, call_center: CallCenterSnapshot) -> None:
        await self._redis.hset(
            self.key(tenant, "call_centers"), call_center.id, _dumps(call_center.to_dict())
        )

    async def write_agent(self, tenant: str, agent: AgentSnapshot) -> None:
        await self._redis.hset(self.key(tenant, "agents"), agent.extension, _dumps(agent.to_dict()))

    async def write_call(self, tenant: str, call: ActiveCallSnapshot) -> None:
        await self._redis.hset(self.key(tenant, "calls"), call.call_id, _dumps(call.to_dict()))

    async def remove_call(self, tenant: str, call_id: str) -> None:
        await self._redis.hdel(self.key(tenant, "calls"), call_id)

    async def call_centers(self, tenant: str) -> list[CallCenterSnapshot]:
        raw = await self._redis.hgetall(self.key(tenant, "call_centers"))
        found = [CallCenterSnapshot.from_dict(json.loads(v)) for v in _values(raw)]
        return sorted(found, key=lambda c: c.number)

    async def call_center(self, tenant: str, call_center_id: str) -> CallCenterSnapshot | None:
        raw = await self._redis.hget(self.key(tenant, "call_centers"), call_center_id)
        return CallCenterSnapshot.from_dict(json.loads(raw)) if raw else None

    async def agents(self, tenant: str) -> list[AgentSnapshot]:
        raw = await self._redis.hgetall(self.key(tenant, "agents"))
        found = [AgentSnapshot.from_dict(json.loads(v)) for v in _values(raw)]
        return sorted(found, key=lambda a: a.extension)

    async def agent(self, tenant: str, extension: str) -> AgentSnapshot | None:
        raw = await self._redis.hget(self.key(tenant, "agents"), extension)
        return AgentSnapshot.from_dict(json.loads(raw)) if raw else None

    async def calls(self, tenant: str) -> list[ActiveCallSnapshot]:
        raw = await self._redis.hgetall(self.key(tenant, "calls"))
        found = [ActiveCallSnapshot.from_dict(json.loads(v)) for v in _values(raw)]
        return sorted(found, key=lambda c: c.since)

    async def call(self, tenant: str, call_id: str) -> ActiveCallSnapshot | None:
        raw = await self._redis.hget(self.key(tenant, "calls"), call_id)
        return ActiveCallSnapshot.from_dict(json.loads(raw)) if raw else None

    async def find_waiting_call(
        self, tenant: str, call_id: str
    ) -> tuple[CallCenterSnapshot, WaitingCallSnapshot] | None:
        for call_center in await self.call_centers(tenant):
            for waiting in call_center.waiting_calls:
                if waiting.call_id == call_id:
                    return call_center, waiting
        return None

    async def sequence(self, tenant: str) -> int:
        raw = await self._redis.hget(self.key(tenant, "meta"), "sequence")
        return int(raw) if raw is not None else -1


def _any(mapping: dict[str, str]) -> Any:
    """redis-py's hset mapping type is invariant in its key type; ours is plain str."""
    return mapping


def _values(raw: Any) -> Iterable[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in dict(raw).values()]

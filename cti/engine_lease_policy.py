"""The lease of a tenant's queue engine, as a pure state machine: which node runs the engine
(docs/deploy.md, "A tenant's queue engine on one node at a time").

A node is `Standby` for a tenant until it acquires the lease, then `Holding` it with the fencing
token the acquisition returned; it is `Lost` once Redis refuses a renewal or a write with that
token (another node took over). `decide` maps what the Redis side reported to the next state and
to what the shell must do: take the engine over, step down, resume, or nothing.

Times are the shell's monotonic clock, read when a request was *sent*: the lease in Redis expires
`ttl` after that at the earliest. A holder `trusted` the lease only for `ttl - margin` after its
last good renewal: past that (Redis unreachable, the process paused) another node may hold it, so
the engine is suspended (no input stepped, no command sent) until a renewal says whether it is
still ours (`Resume`) or not (`StepDown`). Suspending rather than stepping down keeps the waiting
callers of a node that only lost Redis for a while.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never

TTL_SECONDS = 5.0
"""How long a lease outlives its last renewal: a dead holder's tenant waits at most this long."""
RENEW_SECONDS = 1.5
"""How often the holder renews (and a standby node tries to acquire)."""
MARGIN_SECONDS = 1.5
"""How much earlier than Redis the holder gives its lease up: room for a late renewal and for
clock rates drifting apart."""


@dataclass(frozen=True)
class Standby:
    """Another node holds the tenant (or nobody yet): try to acquire."""


@dataclass(frozen=True)
class Holding:
    token: int
    """The fencing token: every journal write of the engine carries it (cti/engine_lease.py)."""
    renewed_at: float
    """When the last successful acquisition or renewal was sent (monotonic seconds)."""


@dataclass(frozen=True)
class Lost:
    """Held and no longer: the engine has stopped here; the next round tries to acquire again."""

    reason: str


LeaseState = Standby | Holding | Lost


@dataclass(frozen=True)
class Acquired:
    """The answer to an acquisition sent at `sent_at`: the new token, or None (held elsewhere)."""

    token: int | None
    sent_at: float


@dataclass(frozen=True)
class Renewed:
    """The answer to a renewal sent at `sent_at`: False when the lease is no longer ours."""

    ok: bool
    sent_at: float


@dataclass(frozen=True)
class Fenced:
    """Redis refused a write with our token: another node has taken over."""


LeaseInput = Acquired | Renewed | Fenced


@dataclass(frozen=True)
class TakeOver:
    """Start the tenant's engine here, from its journal, writing with `token`."""

    token: int


@dataclass(frozen=True)
class StepDown:
    """Stop the tenant's engine here at once (no more offers, no more writes)."""

    reason: str


@dataclass(frozen=True)
class Resume:
    """The lease is confirmed ours again: step what was held back while it was not trusted."""


Action = TakeOver | StepDown | Resume | None


@dataclass(frozen=True)
class LeaseTimes:
    ttl: float = TTL_SECONDS
    renew: float = RENEW_SECONDS
    margin: float = MARGIN_SECONDS

    def __post_init__(self) -> None:
        if not 0 < self.renew < self.ttl - self.margin:
            raise ValueError("renewals must come well within the lease: renew < ttl - margin")


DEFAULT_TIMES = LeaseTimes()


def decide(state: LeaseState, event: LeaseInput) -> tuple[LeaseState, Action]:
    match event:
        case Acquired(token=token, sent_at=sent_at):
            if token is None or isinstance(state, Holding):
                return state, None  # held elsewhere; or a stray answer: keep our token
            return Holding(token, sent_at), TakeOver(token)
        case Renewed(ok=ok, sent_at=sent_at):
            if not ok:
                return _lose(state, "lease renewal refused: another node holds it")
            if isinstance(state, Holding):
                return Holding(state.token, max(state.renewed_at, sent_at)), Resume()
            return state, None
        case Fenced():
            return _lose(state, "write refused: a newer holder's fencing token")
        case _:
            assert_never(event)


def _lose(state: LeaseState, reason: str) -> tuple[LeaseState, Action]:
    if isinstance(state, Holding):
        return Lost(reason), StepDown(reason)
    return state, None


def trusted(state: LeaseState, now: float, times: LeaseTimes) -> bool:
    """Whether the engine may step inputs and command the PBX now."""
    return isinstance(state, Holding) and now - state.renewed_at < times.ttl - times.margin


def due(state: LeaseState) -> Literal["acquire", "renew"]:
    """What the next round asks Redis for this tenant."""
    match state:
        case Standby() | Lost():
            return "acquire"
        case Holding():
            return "renew"
        case _:
            assert_never(state)

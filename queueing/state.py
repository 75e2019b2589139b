"""The engine's state: calls, agents and call centers of one tenant.

The engine is the only writer (see `engine.step`). State is plain data, compared by value, so a
replayed journal can be checked against the live state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from queueing.config import CallCenterConfig, TenantConfig, Tier, Treatment
from queueing.inputs import AgentState
from queueing.timers import TimerKind
from queueing.waiting_list import WaitingList


class Phase(StrEnum):
    ENTRANCE = "entrance"
    """In the queue, entrance message playing."""
    WAITING = "waiting"
    OFFERED = "offered"
    """In the queue, ringing one agent (or several: simultaneous)."""
    TALKING = "talking"
    HELD = "held"
    DIALING = "dialing"
    """A callback: its agent answered, the customer's number is being called."""
    TREATED = "treated"
    """Out of the queue by a treatment (overflow, stranded...), waiting for the caller to go."""


IN_QUEUE = frozenset({Phase.ENTRANCE, Phase.WAITING, Phase.OFFERED})
HOLDS_PLACE = IN_QUEUE | {Phase.DIALING}
"""Phases of a call in its call center's waiting list: a callback calling its customer keeps its
place (and counts against the waiter limit) until the customer answers, so a failed attempt
goes back to a place that is still there."""


@dataclass(slots=True)
class Call:
    call_id: str
    caller: str
    call_center_id: str
    priority: int
    order: float
    arrived_at: float
    """When this stay in the current call center began."""
    phase: Phase = Phase.ENTRANCE
    answered: bool = False
    """The PBX answered the caller (prompts and music can play)."""
    entrance_done: bool = False
    offered_to: tuple[str, ...] = ()
    agent: str | None = None
    answered_at: float | None = None
    last_bounced_agent: str | None = None
    pending: Treatment | None = None
    """A treatment waiting for its announcement to end."""
    stay: int = 1
    callback: str | None = None
    """The number to call back: set, the call keeps its place without its caller."""
    callback_entry: str | None = None
    """Digits typed in the callback menu so far; None: the menu is not open."""
    callback_attempts: int = 0
    external: bool = False
    """From the carrier: holds one of the call center's `max_external_calls`."""


@dataclass(slots=True)
class Agent:
    extension: str
    licence: Tier
    state: AgentState = AgentState.SIGN_OUT
    unavailable_code: str | None = None
    state_since: float = 0.0
    joined: dict[str, None] = field(default_factory=dict)
    """Call centers the agent takes calls from, in join order (a dict for a stable order)."""
    offered_call: str | None = None
    call: str | None = None
    pending_state: tuple[AgentState, str | None] | None = None
    """State asked for during a call, applied when the call ends."""
    idle_since: float = 0.0
    last_call: str | None = None
    last_call_center: str | None = None
    member_of: tuple[str, ...] = ()
    """Call centers the agent is assigned to (joined or not)."""

    @property
    def signed_in(self) -> bool:
        return self.state is not AgentState.SIGN_OUT

    @property
    def ready_state(self) -> bool:
        """Available, or on a Basic licence (which has no ACD states) simply signed in."""
        if self.state is AgentState.AVAILABLE:
            return True
        return self.licence is Tier.BASIC and self.state is AgentState.SIGN_IN

    @property
    def takes_calls(self) -> bool:
        """Ready for an offer: in a ready state and not ringing or on a call."""
        return self.ready_state and self.offered_call is None and self.call is None


@dataclass(slots=True)
class CallCenter:
    config: CallCenterConfig
    waiting: WaitingList = field(default_factory=WaitingList)
    members: tuple[str, ...] = ()
    """Assigned agents in list order (regular and circular routing hunt in this order)."""
    index: dict[str, int] = field(default_factory=dict)
    """Position of each assigned agent in `members`."""
    free: dict[str, None] = field(default_factory=dict)
    """Joined agents ready for an offer right now, kept by `sync_free` so that dispatch never
    scans the whole agent list."""
    last_offered: int = -1
    """Index in `members` of the agent offered the previous call (circular routing)."""
    night_override: bool | None = None
    forced_forwarding: bool = False
    average_handle_seconds: float = 120.0
    """Running average of talk time, for estimated-wait messages and comfort bypass."""


@dataclass(slots=True)
class EngineState:
    tenant: str
    call_centers: dict[str, CallCenter]
    agents: dict[str, Agent]
    calls: dict[str, Call] = field(default_factory=dict)
    timers: dict[str, tuple[TimerKind, str]] = field(default_factory=dict)
    """Active timers: id -> (kind, subject id)."""
    sequence: int = 0
    order_counter: int = 0
    rng: int = 0
    unavailable_codes: frozenset[str] = frozenset()


def sync_free(state: EngineState, agent: Agent) -> None:
    """Re-file the agent in the free sets of its call centers after any change that matters."""
    takes_calls = agent.takes_calls
    for cc_id in agent.member_of:
        free = state.call_centers[cc_id].free
        if takes_calls and cc_id in agent.joined:
            free[agent.extension] = None
        else:
            free.pop(agent.extension, None)


def initial_state(config: TenantConfig) -> EngineState:
    agents = {a.extension: Agent(a.extension, a.licence) for a in config.agents}
    centers: dict[str, CallCenter] = {}
    for c in config.call_centers:
        members = tuple(m.extension for m in c.members)
        centers[c.id] = CallCenter(
            config=c,
            members=members,
            index={e: i for i, e in enumerate(members)},
            forced_forwarding=bool(c.forced_forwarding and c.forced_forwarding.enabled),
            night_override=c.night_service.initial_override if c.night_service else None,
        )
        for m in c.members:
            agent = agents[m.extension]
            agent.member_of += (c.id,)
            if m.joined:
                agent.joined[c.id] = None
    return EngineState(
        tenant=config.tenant,
        call_centers=centers,
        agents=agents,
        rng=config.seed & 0xFFFFFFFFFFFFFFFF or 0x9E3779B97F4A7C15,
        unavailable_codes=config.unavailable_codes,
    )

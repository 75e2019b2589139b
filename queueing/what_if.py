"""The what-if simulator: replay a day of traffic at one call center through the real queue
engine on a simulated clock, once with the configuration as it is and once changed (fewer
agents, another routing policy, another wrap-up...), and give both days' figures per interval.

The engine decides exactly as in production; this module plays the world around it: agents
answer an offer after a ring, talk for the call's talk time and hang up; callers hang up when
their patience runs out; prompts end after a fixed time. Pure: fed data, no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import assert_never

from queueing.commands import (
    AnswerCall,
    BridgeCall,
    CancelTimer,
    Command,
    DisconnectAgent,
    HangUpCall,
    KeepRinging,
    OfferCall,
    OfferCallback,
    PlayPrompt,
    RejectBusy,
    RemindAgent,
    StartMusic,
    StartTimer,
    StopMedia,
    StopRinging,
    TransferCall,
)
from queueing.config import (
    AgentConfig,
    CallCenterConfig,
    Member,
    RoutingPolicy,
    TenantConfig,
    Tier,
)
from queueing.engine import StepResult
from queueing.errors import ConfigError
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentState,
    CallArrived,
    CallerHungUp,
    MediaFinished,
    SetAgentState,
)
from queueing.simulator import Simulator
from queueing.what_if_figures import DayFold, IntervalFigures
from queueing.what_if_traffic import DAY_SECONDS, Arrival

MAX_AGENTS = 1000
DRAIN_SECONDS = 4 * 3600
"""How long after the day the simulation goes on so that late calls can end; a call still
waiting then (no agent, endless patience) counts as offered but not ended."""
INTERVALS = frozenset({900, 1800, 3600})
EXTRA_AGENT_PREFIX = "what-if-"


@dataclass(frozen=True, slots=True)
class Changes:
    """What the supervisor changes; None keeps the configured value."""

    agents: int | None = None
    """How many agents take calls: fewer keeps the first ones of the agent list, more adds
    agents like the first one."""
    routing: RoutingPolicy | None = None
    wrap_up_seconds: int | None = None
    """0: no wrap-up."""
    max_wait_seconds: int | None = None
    """Overflow after this wait; 0 switches the max-wait overflow off."""
    skill_levels: Mapping[str, int] = field(default_factory=dict)
    """Agent extension -> skill level (1 best .. 20), for skill-based routing."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How the simulated world behaves where the traffic does not say."""

    answer_seconds: float = 4.0
    """An agent answers an offer after this ring (an automatic-answer phone at once; half the
    call center's ring timeout if that is shorter)."""
    prompt_seconds: float = 8.0
    """Every prompt (entrance message, comfort message, announcements) lasts this long."""


@dataclass(frozen=True, slots=True)
class DayResult:
    agents: int
    intervals: tuple[IntervalFigures, ...]
    total: IntervalFigures
    inputs: int
    """Engine inputs fed, timers included (the benchmark's measure of work)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    call_center_id: str
    interval_seconds: int
    threshold_seconds: int
    actual: DayResult
    """The traffic replayed with the configuration as it is."""
    predicted: DayResult
    """The same traffic with the changes."""


def apply_changes(config: TenantConfig, call_center_id: str, changes: Changes) -> TenantConfig:
    """The tenant reduced to one call center and its agents, with `changes`; a change the call
    center cannot take raises `ConfigError` naming the field."""
    found = [c for c in config.call_centers if c.id == call_center_id]
    if not found:
        raise ConfigError("call_center", f"no call center {call_center_id}")
    cc = found[0]
    members = tuple(replace(m, joined=True) for m in cc.members)
    if changes.agents is not None:
        if not 0 <= changes.agents <= MAX_AGENTS:
            raise ConfigError("changes.agents", f"{changes.agents} is outside 0..{MAX_AGENTS}")
        extra = tuple(
            Member(f"{EXTRA_AGENT_PREFIX}{n}") for n in range(changes.agents - len(members))
        )
        members = (members + extra)[: changes.agents]
    for extension, level in changes.skill_levels.items():
        if extension not in {m.extension for m in members}:
            raise ConfigError(f"changes.skill_levels.{extension}", "not an agent of this day")
        if not 1 <= level <= 20:
            raise ConfigError(f"changes.skill_levels.{extension}", f"{level} is outside 1..20")
    members = tuple(
        replace(m, skill_level=changes.skill_levels.get(m.extension, m.skill_level))
        for m in members
    )
    changed = _changed_center(cc, members, changes)
    licences = {a.extension: a for a in config.agents}
    agents = tuple(
        licences.get(m.extension) or AgentConfig(m.extension, "what-if agent", Tier.PREMIUM)
        for m in members
    )
    return TenantConfig(config.tenant, (changed,), agents, config.seed, config.unavailable_codes)


def _changed_center(
    cc: CallCenterConfig, members: tuple[Member, ...], changes: Changes
) -> CallCenterConfig:
    overflow = cc.overflow
    if changes.max_wait_seconds is not None:
        seconds = changes.max_wait_seconds
        overflow = replace(overflow, max_wait_seconds=seconds or None)
    wrap_up = cc.wrap_up_seconds
    if changes.wrap_up_seconds is not None:
        if changes.wrap_up_seconds < 0:
            raise ConfigError("changes.wrap_up_seconds", "cannot be negative")
        wrap_up = changes.wrap_up_seconds or None
    try:
        return replace(
            cc,
            members=members,
            routing=changes.routing or cc.routing,
            overflow=overflow,
            wrap_up_seconds=wrap_up,
        )
    except ConfigError as error:
        # The call center's own check names its field; the supervisor changed it under changes.
        raise ConfigError(f"changes.{_change_field(error.field)}", error.message) from error


def _change_field(field_name: str) -> str:
    if field_name.startswith("routing policy"):
        return "routing"
    if field_name.startswith("overflow.max_wait"):
        return "max_wait_seconds"
    return field_name


def simulate_day(
    config: TenantConfig,
    arrivals: Sequence[Arrival],
    day_start: float,
    interval_seconds: int = 1800,
    behaviour: Behaviour = Behaviour(),
) -> DayResult:
    """Replay `arrivals` (sorted by time, all at the config's one call center) through the
    engine, every agent available from the day's start; figures per interval."""
    if interval_seconds not in INTERVALS:
        raise ConfigError("interval_minutes", "must be 15, 30 or 60")
    (cc,) = config.call_centers
    return _Day(config, cc, day_start, interval_seconds, behaviour).run(arrivals)


def compare(
    config: TenantConfig,
    call_center_id: str,
    arrivals: Sequence[Arrival],
    changes: Changes,
    day_start: float,
    interval_seconds: int = 1800,
    behaviour: Behaviour = Behaviour(),
) -> Comparison:
    as_is = apply_changes(config, call_center_id, Changes())
    changed = apply_changes(config, call_center_id, changes)
    mine = [a for a in arrivals if a.call_center_id == call_center_id]
    return Comparison(
        call_center_id=call_center_id,
        interval_seconds=interval_seconds,
        threshold_seconds=changed.call_centers[0].service_level_seconds,
        actual=simulate_day(as_is, mine, day_start, interval_seconds, behaviour),
        predicted=simulate_day(changed, mine, day_start, interval_seconds, behaviour),
    )


class _Day:
    """One simulated day: the world's reactions to the engine's commands."""

    def __init__(
        self,
        config: TenantConfig,
        cc: CallCenterConfig,
        day_start: float,
        interval_seconds: int,
        behaviour: Behaviour,
    ) -> None:
        self.cc = cc
        self.day_start = day_start
        self.behaviour = behaviour
        self.sim = Simulator(config, now=day_start, record=False, on_step=self.react)
        self.fold = DayFold(
            day_start, interval_seconds, DAY_SECONDS // interval_seconds, cc.service_level_seconds
        )
        self.talk: dict[str, float] = {}
        # Agents answer before the offer would bounce: the traffic holds no missed offers.
        self.ring = min(behaviour.answer_seconds, cc.ring_seconds / 2)
        self.inputs = 0

    def run(self, arrivals: Sequence[Arrival]) -> DayResult:
        sim = self.sim
        for agent in self.sim.config.agents:
            basic = agent.licence is Tier.BASIC
            self.feed(SetAgentState(agent.extension, AgentState.SIGN_IN))
            if not basic:
                self.feed(SetAgentState(agent.extension, AgentState.AVAILABLE))
        for n, arrival in enumerate(arrivals):
            self.advance_to(arrival.at)
            call_id = f"w{n}"
            self.talk[call_id] = arrival.talk_seconds
            self.fold.arrive(call_id, arrival.at)
            if arrival.patience_seconds is not None:
                sim.schedule(f"patience/{call_id}", arrival.patience_seconds, CallerHungUp(call_id))
            self.feed(CallArrived(call_id, self.cc.id, arrival.caller, arrival.priority))
        end = max(self.day_start + DAY_SECONDS, sim.now) + DRAIN_SECONDS
        self.advance_to(end)
        agents = len(self.sim.config.agents)
        self.fold.staffed(agents, self.day_start, self.day_start + DAY_SECONDS)
        intervals, total = self.fold.finish(self.day_start + DAY_SECONDS)
        return DayResult(agents, tuple(intervals), total, self.inputs)

    def feed(self, event: CallArrived | SetAgentState) -> None:
        self.inputs += 1
        self.sim.feed(event)

    def advance_to(self, at: float) -> None:
        sim = self.sim
        while sim.fire_next(at):
            self.inputs += 1
        sim.now = max(sim.now, at)

    def react(self, result: StepResult) -> None:
        for event in result.events:
            self.fold.apply(event)
        for command in result.commands:
            self.answer(command)

    def answer(self, command: Command) -> None:
        sim = self.sim
        match command:
            case (
                StartTimer()
                | CancelTimer()
                | AnswerCall()
                | StartMusic()
                | StopMedia()
                | HangUpCall()
                | DisconnectAgent()
                | RemindAgent()
                | KeepRinging()
            ):
                pass  # nothing for the simulated world to do (timers are the simulator's)
            case OfferCallback():
                pass  # simulated callers press no keys, so no callback is ever asked for
            case PlayPrompt(call_id=call_id, prompt=prompt, loop=loop):
                if not loop:
                    prompt_ends = MediaFinished(call_id, prompt)
                    sim.schedule(f"prompt/{call_id}", self.behaviour.prompt_seconds, prompt_ends)
            case OfferCall(call_id=call_id, agent=agent, auto_answer=auto):
                ring = 0.0 if auto else self.ring
                sim.schedule(f"answer/{call_id}/{agent}", ring, AgentAnswered(call_id, agent))
            case BridgeCall(call_id=call_id, agent=agent):
                sim.cancel(f"patience/{call_id}")
                talk = self.talk.pop(call_id, 0.0)
                sim.schedule(f"talk/{call_id}", talk, AgentHungUp(call_id, agent))
            case StopRinging(call_id=call_id, agent=agent):
                sim.cancel(f"answer/{call_id}/{agent}")
            case RejectBusy(call_id=call_id) | TransferCall(call_id=call_id):
                # The call left the call center: the caller's patience no longer matters here.
                sim.cancel(f"patience/{call_id}")
                sim.cancel(f"prompt/{call_id}")
            case _:
                assert_never(command)

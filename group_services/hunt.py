"""A hunt group's decisions: whether a call goes to the members at all (group forwarding), which
member(s) ring next (the queue engine's routing policies, `queueing.routing.pick`), and where a
call goes when every member was tried.

The members are read from the group's config at every decision, so a member added or removed
takes part from the next offer on, calls in progress included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from group_services.config import HuntGroupConfig
from queueing.routing import RoutingFacts, pick


@dataclass(slots=True)
class GroupState:
    """What a group remembers between calls (for circular and uniform)."""

    last_offered: int = -1
    idle_since: dict[str, float] = field(default_factory=dict)
    talking: dict[str, str] = field(default_factory=dict)
    """Member -> the group call they answered and are on now (they are not offered another)."""


class Outcome(StrEnum):
    NO_ANSWER = "no_answer"
    BUSY = "busy"


@dataclass(slots=True)
class HuntCall:
    tried: set[str] = field(default_factory=set)
    busy: set[str] = field(default_factory=set)
    """Members that were busy, not registered, or talking on another group call."""


@dataclass(frozen=True, slots=True)
class Ring:
    members: tuple[str, ...]
    why: str


@dataclass(frozen=True, slots=True)
class Forward:
    target: str
    why: str
    trigger: str
    """What sent the call on, for its event: `always`, `selective`, `night`, `holiday`,
    `outside_hours`, or an `Outcome` (`busy`, `no_answer`)."""


@dataclass(frozen=True, slots=True)
class GiveUp:
    outcome: Outcome
    why: str


Decision: TypeAlias = Ring | Forward | GiveUp


def on_arrival(config: HuntGroupConfig, now: float, caller: str = "") -> Forward | None:
    """Group forwarding before any member rings: always, by caller (selective), night
    (switched on), by schedule."""
    forwarding = config.forwarding
    if forwarding.always is not None:
        return Forward(forwarding.always, "group forwarding: always", "always")
    for rule in forwarding.selective:
        if rule.matches(caller):
            return Forward(rule.destination, f"group forwarding: selective ({caller})",
                           "selective")  # fmt: skip
    if forwarding.night_on and forwarding.night is not None:
        return Forward(forwarding.night, "group night forwarding is on", "night")
    if forwarding.outside_hours is not None:
        if config.holidays is not None and (holiday := config.holidays.holiday_name(now)):
            return Forward(forwarding.outside_hours, f"group forwarding: holiday ({holiday})",
                           "holiday")  # fmt: skip
        if config.schedule is not None and not config.schedule.is_open(now):
            return Forward(forwarding.outside_hours, "group forwarding: outside business hours",
                           "outside_hours")  # fmt: skip
    return None


def next_ring(
    config: HuntGroupConfig, group: GroupState, call: HuntCall, draw: Callable[[], float]
) -> Decision:
    """Who rings next for `call` (after its arrival, or after every offer of it failed)."""
    for member in group.talking:  # on a group call already: busy for this one
        if member in config.members and member not in call.tried:
            call.tried.add(member)
            call.busy.add(member)
    candidates = [m for m in config.members if m not in call.tried]
    if candidates:
        index = {m: i for i, m in enumerate(config.members)}
        facts = RoutingFacts(
            index=index,
            last_offered=group.last_offered,
            idle_since=lambda m: group.idle_since.get(m, 0.0),
            weight=config.weight,
            skill_level=lambda _m: 1,
            draw=draw,
        )
        chosen, why = pick(config.policy, candidates, facts)
        call.tried.update(chosen)
        if len(chosen) == 1:
            group.last_offered = index[chosen[0]]
        return Ring(tuple(chosen), why)
    tried = [m for m in config.members if m in call.tried]
    if tried and all(m in call.busy for m in tried):
        return _after(config.busy_destination, Outcome.BUSY, "every member is busy")
    return _after(config.no_answer_destination, Outcome.NO_ANSWER, "no member answered")


def answered(group: GroupState, member: str, call_id: str) -> None:
    group.talking[member] = call_id


def call_ended(group: GroupState, call_id: str, now: float) -> None:
    """The group call is over: its member is idle again from `now` (uniform routing)."""
    for member, on_call in list(group.talking.items()):
        if on_call == call_id:
            del group.talking[member]
            group.idle_since[member] = now


def _after(target: str | None, outcome: Outcome, why: str) -> Decision:
    if target is None:
        return GiveUp(outcome, why)
    return Forward(target, f"{why}: {outcome} forwarding", outcome)

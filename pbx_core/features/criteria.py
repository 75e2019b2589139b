"""Selective services' criteria (BroadWorks' shared "criteria" model), pure: which of a user's
rules an incoming call matches, and what the four services that use them make of it.

A rule matches a call when it is active, the time is inside its weekly schedule (if it names
one) and on a holiday of its calendar (if it names one), and the caller is one it lists: one of
its numbers (up to 12, `provisioning/selective.py`), any private (anonymous) caller, any caller
without a number. A rule listing no caller at all matches every caller. `screen` applies
selective call rejection, then selective call acceptance, then selective call forwarding, and
tells whether CallNotify mails; `diversion.on_arrival` puts do-not-disturb between acceptance
and forwarding (the BroadWorks order, docs/phone-features.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

REJECTED = "Decline (selective call rejection)"
NOT_ACCEPTED = "Decline (selective call acceptance)"


class Schedule(Protocol):
    """A weekly schedule (`queueing.schedule.WeeklySchedule`)."""

    def is_open(self, now: float) -> bool: ...


class Calendar(Protocol):
    """A holiday calendar (`queueing.schedule.HolidayCalendar`)."""

    def holiday_name(self, now: float) -> str | None: ...


@dataclass(frozen=True, slots=True)
class CallerId:
    number: str
    """As the call presents it: an extension, an E.164 number, "anonymous", or ""."""
    private: bool = False
    """The caller withholds its identity (RFC 3323 `Privacy: id`, an anonymous From)."""

    @property
    def unavailable(self) -> bool:
        """No number to show, and not because the caller hides it."""
        return not self.private and not self.number.removeprefix("+").isdigit()


@dataclass(frozen=True, slots=True)
class Criteria:
    name: str
    active: bool = True
    numbers: frozenset[str] = frozenset()
    any_private: bool = False
    any_unavailable: bool = False
    schedule: Schedule | None = None
    """The rule holds while this schedule is open."""
    holidays: Calendar | None = None
    """The rule holds on this calendar's holidays."""
    forward_to: str | None = None
    """Selective call forwarding: this rule's destination (None: the service's default)."""

    def matches(self, caller: CallerId, now: float) -> bool:
        if not self.active:
            return False
        if self.schedule is not None and not self.schedule.is_open(now):
            return False
        if self.holidays is not None and self.holidays.holiday_name(now) is None:
            return False
        if not (self.numbers or self.any_private or self.any_unavailable):
            return True
        if caller.private:
            return self.any_private
        if caller.unavailable:
            return self.any_unavailable
        return caller.number in self.numbers


def first_match(rules: tuple[Criteria, ...], caller: CallerId, now: float) -> Criteria | None:
    return next((rule for rule in rules if rule.matches(caller, now)), None)


@dataclass(frozen=True, slots=True)
class Selective:
    """One user's four selective services as the PBX applies them (a service the profile
    lacks has no rules here)."""

    rejection: tuple[Criteria, ...] = ()
    acceptance: tuple[Criteria, ...] = ()
    """With an active rule, only the calls a rule matches are accepted."""
    forwarding: tuple[Criteria, ...] = ()
    forward_default: str | None = None
    notify: tuple[Criteria, ...] = ()
    notify_address: str | None = None


NO_SELECTIVE = Selective()


@dataclass(frozen=True, slots=True)
class Screening:
    refused: str | None = None
    """The reason phrase of a refused call (603 Decline)."""
    forward_to: str | None = None
    notify: str | None = None
    """The address CallNotify mails about this call."""


PASSED = Screening()


@dataclass(frozen=True, slots=True)
class CallNotice:
    """CallNotify: a call one of the user's rules picked out reached them; mailed to `address`."""

    tenant: str
    extension: str
    caller: str
    caller_name: str
    address: str
    language: str


def screen(selective: Selective, caller: CallerId, now: float) -> Screening:
    """What the selective services make of a call from `caller` at `now` (epoch seconds)."""
    if first_match(selective.rejection, caller, now) is not None:
        return Screening(refused=REJECTED)
    accepting = any(rule.active for rule in selective.acceptance)
    if accepting and first_match(selective.acceptance, caller, now) is None:
        return Screening(refused=NOT_ACCEPTED)
    forward = first_match(selective.forwarding, caller, now)
    notified = selective.notify_address is not None and first_match(selective.notify, caller, now)
    return Screening(
        forward_to=None if forward is None else forward.forward_to or selective.forward_default,
        notify=selective.notify_address if notified else None,
    )

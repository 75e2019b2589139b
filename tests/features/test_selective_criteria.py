"""Selective services' criteria, pure: which rule a call matches (callers, private and
unavailable numbers, a weekly schedule, a holiday calendar, inactive rules) and the order of the
services (rejection, acceptance, do-not-disturb, selective forwarding, forward always)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pbx_core.features.criteria import (
    NOT_ACCEPTED,
    REJECTED,
    CallerId,
    Criteria,
    Screening,
    Selective,
    screen,
)
from pbx_core.features.diversion import (
    DO_NOT_DISTURB,
    LOOP,
    Divert,
    Forwarding,
    Refuse,
    Ring,
    on_arrival,
)
from queueing.schedule import HolidayCalendar, OpeningHours, WeeklySchedule

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OFFICE = WeeklySchedule(
    "Europe/Amsterdam", tuple(OpeningHours(day, time(9), time(17)) for day in range(5))
)
CHRISTMAS = HolidayCalendar("own", extra_dates=frozenset({date(2026, 12, 25)}))


def at(day: int, hour: int) -> float:
    """December 2026, Amsterdam time (the 7th is a Monday, the 25th a Friday)."""
    return datetime(2026, 12, day, hour, tzinfo=AMSTERDAM).timestamp()


MONDAY_NOON = at(7, 12)
NUMBERS = frozenset({"1002", "+31201234567"})


@pytest.mark.parametrize(
    ("rule", "caller", "now", "matches"),
    [
        (Criteria("any"), CallerId("1002"), MONDAY_NOON, True),
        (Criteria("any", active=False), CallerId("1002"), MONDAY_NOON, False),
        (Criteria("listed", numbers=NUMBERS), CallerId("1002"), MONDAY_NOON, True),
        (Criteria("listed", numbers=NUMBERS), CallerId("+31201234567"), MONDAY_NOON, True),
        (Criteria("listed", numbers=NUMBERS), CallerId("1004"), MONDAY_NOON, False),
        # A private caller is matched by "any private" only, even with its number in From.
        (Criteria("listed", numbers=NUMBERS), CallerId("1002", private=True), MONDAY_NOON, False),
        (Criteria("private", any_private=True), CallerId("1002", private=True), MONDAY_NOON, True),
        (Criteria("private", any_private=True), CallerId("1002"), MONDAY_NOON, False),
        (Criteria("private", any_private=True), CallerId("anonymous"), MONDAY_NOON, False),
        (Criteria("unavail", any_unavailable=True), CallerId("anonymous"), MONDAY_NOON, True),
        (Criteria("unavail", any_unavailable=True), CallerId(""), MONDAY_NOON, True),
        (Criteria("unavail", any_unavailable=True), CallerId("", private=True), MONDAY_NOON, False),
        (Criteria("office", schedule=OFFICE), CallerId("1004"), MONDAY_NOON, True),
        (Criteria("office", schedule=OFFICE), CallerId("1004"), at(7, 20), False),
        (Criteria("office", schedule=OFFICE), CallerId("1004"), at(12, 12), False),  # Saturday
        (Criteria("xmas", holidays=CHRISTMAS), CallerId("1004"), at(25, 12), True),
        (Criteria("xmas", holidays=CHRISTMAS), CallerId("1004"), MONDAY_NOON, False),
        # Both: a working-hours holiday.
        (Criteria("both", schedule=OFFICE, holidays=CHRISTMAS), CallerId("1"), at(25, 12), True),
        (Criteria("both", schedule=OFFICE, holidays=CHRISTMAS), CallerId("1"), at(25, 20), False),
    ],
)
def test_a_rule_matches_by_caller_and_time(
    rule: Criteria, caller: CallerId, now: float, matches: bool
) -> None:
    assert rule.matches(caller, now) is matches


def test_rejection_comes_before_acceptance_and_forwarding() -> None:
    from_1002 = Criteria("1002", numbers=frozenset({"1002"}))
    everything = Selective(
        rejection=(from_1002,),
        acceptance=(from_1002,),
        forwarding=(from_1002,),
        forward_default="1003",
        notify=(from_1002,),
        notify_address="jan@example.nl",
    )
    assert screen(everything, CallerId("1002"), MONDAY_NOON) == Screening(refused=REJECTED)


def test_acceptance_with_active_rules_refuses_everyone_else() -> None:
    accepting = Selective(acceptance=(Criteria("boss", numbers=frozenset({"1005"})),))
    assert screen(accepting, CallerId("1004"), MONDAY_NOON).refused == NOT_ACCEPTED
    assert screen(accepting, CallerId("1005"), MONDAY_NOON).refused is None
    # Only inactive rules: the service accepts every call.
    idle = Selective(acceptance=(Criteria("boss", active=False, numbers=frozenset({"1005"})),))
    assert screen(idle, CallerId("1004"), MONDAY_NOON).refused is None


def test_forwarding_takes_the_rules_number_else_the_default_and_notify_its_address() -> None:
    selective = Selective(
        forwarding=(
            Criteria("mobile", numbers=frozenset({"1002"}), forward_to="+31612345678"),
            Criteria("rest-of-office", schedule=OFFICE),
        ),
        forward_default="1003",
        notify=(Criteria("1002", numbers=frozenset({"1002"})),),
        notify_address="jan@example.nl",
    )
    first = screen(selective, CallerId("1002"), MONDAY_NOON)
    assert first == Screening(forward_to="+31612345678", notify="jan@example.nl")
    assert screen(selective, CallerId("1004"), MONDAY_NOON) == Screening(forward_to="1003")
    assert screen(selective, CallerId("1004"), at(7, 20)) == Screening()
    without_address = Selective(notify=selective.notify)
    assert screen(without_address, CallerId("1002"), MONDAY_NOON).notify is None


HISTORY = ("1002", "1001")


def arrive(services: Forwarding, screening: Screening, *, inhibited: bool = False) -> object:
    return on_arrival(
        services, HISTORY, inhibited=inhibited, voicemail_available=False, screening=screening
    )


def test_the_order_on_arrival() -> None:
    dnd = Forwarding(do_not_disturb=True, forward_always="1005")
    always = Forwarding(forward_always="1005")
    assert arrive(dnd, Screening(refused=REJECTED)) == Refuse(603, REJECTED)
    assert arrive(dnd, Screening(forward_to="1003")) == DO_NOT_DISTURB
    assert arrive(always, Screening(forward_to="1003")) == Divert("1003", "unconditional")
    assert arrive(always, Screening()) == Divert("1005", "unconditional")
    # *80 (DiversionInhibitor) stops selective forwarding as any other; loops stop it too.
    assert arrive(Forwarding(), Screening(forward_to="1003"), inhibited=True) == Ring(None)
    assert arrive(Forwarding(), Screening(forward_to="1002")) == LOOP

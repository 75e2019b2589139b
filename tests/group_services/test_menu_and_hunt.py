"""The pure group services: menus fed digits and an injected clock; hunt groups routed by the
queue engine's policies, forwarding, members changed while a call hunts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from group_services import hunt, menu
from group_services.config import (
    AutoAttendantConfig,
    GroupForwarding,
    HuntGroupConfig,
    Menu,
    MenuOption,
    OptionAction,
    SelectiveForward,
    voicemail_boxes,
)
from queueing.config import RoutingPolicy
from queueing.errors import ConfigError
from queueing.schedule import WeeklySchedule

MONDAY_NOON = datetime(2027, 3, 1, 12, 0, tzinfo=UTC).timestamp()
MONDAY_NIGHT = datetime(2027, 3, 1, 22, 0, tzinfo=UTC).timestamp()
OFFICE = WeeklySchedule.business_hours("UTC", time(8), time(18))

MAIN = Menu("main", "Main", options=(
    MenuOption("1", OptionAction.SUBMENU, "sales"),
    MenuOption("0", OptionAction.TRANSFER, "1001"),
    MenuOption("5", OptionAction.DIAL_EXTENSION),
))  # fmt: skip
SALES = Menu("sales", "Sales", options=(
    MenuOption("2", OptionAction.TRANSFER, "7100"),
    MenuOption("9", OptionAction.BACK),
))  # fmt: skip
CLOSED = Menu("closed", "Closed", destination="1010")
CONFIG = AutoAttendantConfig(
    "7099", "Menu", {"main": MAIN, "sales": SALES, "closed": CLOSED},
    after_hours_menu="closed", schedule=OFFICE, max_misses=2, fallback="1001",
)  # fmt: skip


def test_two_levels_then_a_transfer() -> None:
    call, actions = menu.begin(CONFIG, MONDAY_NOON)
    assert actions == [menu.Say(MAIN)]
    assert menu.prompt_finished(CONFIG, call) == [menu.Wait(5.0)]
    assert menu.digit(CONFIG, call, "1") == [menu.Say(SALES)]
    assert menu.digit(CONFIG, call, "9") == [menu.Say(MAIN)]
    assert menu.digit(CONFIG, call, "1") == [menu.Say(SALES)]
    assert menu.digit(CONFIG, call, "2") == [menu.TransferTo("7100", "key 2 in menu sales")]
    assert menu.digit(CONFIG, call, "2") == []  # done: later keys change nothing


def test_outside_hours_on_the_injected_clock() -> None:
    call, actions = menu.begin(CONFIG, MONDAY_NIGHT)
    assert actions == [menu.Say(CLOSED)]
    [transfer] = menu.prompt_finished(CONFIG, call)
    assert isinstance(transfer, menu.TransferTo) and transfer.target == "1010"


def test_wrong_keys_and_silence_end_at_the_fallback() -> None:
    call, _ = menu.begin(CONFIG, MONDAY_NOON)
    assert menu.digit(CONFIG, call, "7") == [menu.SayInvalid(), menu.Say(MAIN)]
    [fallback] = menu.timed_out(CONFIG, call)
    assert isinstance(fallback, menu.TransferTo) and fallback.target == "1001"


def test_a_caller_looping_through_menus_is_sent_on() -> None:
    call, _ = menu.begin(CONFIG, MONDAY_NOON)
    actions: list[menu.Action] = []
    while not call.done:  # into sales and back, for ever: the visits run out
        actions = menu.digit(CONFIG, call, "1") + menu.digit(CONFIG, call, "9")
    assert call.done
    assert isinstance(actions[-1], menu.TransferTo) and actions[-1].target == "1001"


def test_dial_by_extension_reaches_users_only() -> None:
    config = replace(CONFIG, names={"1010": "Piet"}, max_misses=3)
    call, _ = menu.begin(config, MONDAY_NOON)
    assert menu.digit(config, call, "5") == [menu.Wait(5.0)]
    for key in "0900":  # an outside (premium) number: never called from a menu
        menu.digit(config, call, key)
    assert menu.digit(config, call, "#") == [menu.SayInvalid(), menu.Say(MAIN)]
    menu.digit(config, call, "5")
    for key in "1010":
        menu.digit(config, call, key)
    [transfer] = menu.digit(config, call, "#")
    assert isinstance(transfer, menu.TransferTo) and transfer.target == "1010"


def test_bad_menus_are_refused() -> None:
    with pytest.raises(ConfigError, match="no menu 'nowhere'"):
        AutoAttendantConfig("7099", "x", {"main": Menu("main", "x", options=(
            MenuOption("1", OptionAction.SUBMENU, "nowhere"),))})  # fmt: skip
    with pytest.raises(ConfigError, match="two options"):
        Menu("main", "x", options=(MenuOption("1", OptionAction.REPEAT),) * 2)
    with pytest.raises(ConfigError, match="not a number"):
        MenuOption("1", OptionAction.TRANSFER, "sales")
    with pytest.raises(ConfigError, match="voicemail of an extension"):
        MenuOption("1", OptionAction.VOICEMAIL, "sales")
    with pytest.raises(ConfigError, match="voicemail of an extension"):
        group(RoutingPolicy.REGULAR, busy_destination="voicemail:")


def test_voicemail_as_a_menu_key_and_a_group_destination() -> None:
    boxed = AutoAttendantConfig("7099", "x", {"main": Menu("main", "x", options=(
        MenuOption("5", OptionAction.VOICEMAIL, "1002"),
        MenuOption("6", OptionAction.TRANSFER, "voicemail:1004")))},
        fallback="voicemail:1003")  # fmt: skip
    call, _ = menu.begin(boxed, 0.0)
    assert menu.digit(boxed, call, "5") == [menu.TransferTo("voicemail:1002", "key 5 in menu main")]
    assert voicemail_boxes(boxed) == {"1002", "1003", "1004"}
    hunt_group = group(RoutingPolicy.REGULAR, no_answer_destination="voicemail:1005")
    assert voicemail_boxes(hunt_group) == {"1005"}


def group(policy: RoutingPolicy, **kwargs: object) -> HuntGroupConfig:
    return HuntGroupConfig("7100", "G", policy, ("1001", "1002", "1003"), **kwargs)  # type: ignore[arg-type]


def test_circular_continues_after_the_previous_offer() -> None:
    config, state = group(RoutingPolicy.CIRCULAR), hunt.GroupState()
    first = hunt.next_ring(config, state, hunt.HuntCall(), lambda: 0.0)
    second = hunt.next_ring(config, state, hunt.HuntCall(), lambda: 0.0)
    assert isinstance(first, hunt.Ring) and first.members == ("1001",)
    assert isinstance(second, hunt.Ring) and second.members == ("1002",)


def test_simultaneous_rings_everyone_then_busy_forwarding() -> None:
    config = group(RoutingPolicy.SIMULTANEOUS, busy_destination="7001")
    call = hunt.HuntCall()
    ring = hunt.next_ring(config, hunt.GroupState(), call, lambda: 0.0)
    assert isinstance(ring, hunt.Ring) and ring.members == ("1001", "1002", "1003")
    call.busy.update(ring.members)
    after = hunt.next_ring(config, hunt.GroupState(), call, lambda: 0.0)
    assert isinstance(after, hunt.Forward) and after.target == "7001"


def test_weighted_and_uniform_and_a_member_added_live() -> None:
    weighted = group(RoutingPolicy.WEIGHTED, weights={"1003": 8})
    ring = hunt.next_ring(weighted, hunt.GroupState(), hunt.HuntCall(), lambda: 0.9)
    assert isinstance(ring, hunt.Ring) and ring.members == ("1003",)
    state = hunt.GroupState(idle_since={"1001": 50.0, "1002": 10.0, "1003": 30.0})
    call = hunt.HuntCall()
    uniform = group(RoutingPolicy.UNIFORM)
    ring = hunt.next_ring(uniform, state, call, lambda: 0.0)
    assert isinstance(ring, hunt.Ring) and ring.members == ("1002",)
    grown = HuntGroupConfig("7100", "G", RoutingPolicy.REGULAR, ("1004",))
    ring = hunt.next_ring(grown, state, call, lambda: 0.0)  # the same call, the new members
    assert isinstance(ring, hunt.Ring) and ring.members == ("1004",)
    gave_up = hunt.next_ring(grown, state, call, lambda: 0.0)
    assert isinstance(gave_up, hunt.GiveUp) and gave_up.outcome is hunt.Outcome.NO_ANSWER


def test_group_forwarding_and_night_forwarding() -> None:
    night = GroupForwarding(night="1010", night_on=True)
    assert hunt.on_arrival(group(RoutingPolicy.REGULAR, forwarding=night), MONDAY_NOON) == (
        hunt.Forward("1010", "group night forwarding is on", "night")
    )
    selective = GroupForwarding(outside_hours="1009")
    config = group(RoutingPolicy.REGULAR, forwarding=selective, schedule=OFFICE)
    assert hunt.on_arrival(config, MONDAY_NOON) is None
    forward = hunt.on_arrival(config, MONDAY_NIGHT)
    assert forward is not None and forward.target == "1009"
    with pytest.raises(ConfigError, match="hunt group policy"):
        group(RoutingPolicy.SKILL_BASED)


def test_selective_forwarding_by_caller_after_always() -> None:
    rules = (SelectiveForward(("+31201234567", "06*"), "1009"), SelectiveForward(("1*",), "1010"))
    config = group(RoutingPolicy.REGULAR, forwarding=GroupForwarding(selective=rules))
    assert hunt.on_arrival(config, MONDAY_NOON, "+31201234567") == (
        hunt.Forward("1009", "group forwarding: selective (+31201234567)", "selective")
    )
    for caller, target in (("0612345678", "1009"), ("1002", "1010")):
        forward = hunt.on_arrival(config, MONDAY_NOON, caller)
        assert forward is not None and forward.target == target, caller
    for other in ("+312012345678", "+31612345678", "", "2001"):
        assert hunt.on_arrival(config, MONDAY_NOON, other) is None, other
    first = GroupForwarding(always="1011", selective=rules)
    forward = hunt.on_arrival(group(RoutingPolicy.REGULAR, forwarding=first), 0.0, "1002")
    assert forward is not None and forward.trigger == "always"


def test_dial_by_name_on_the_keypad() -> None:
    names = {"1001": "Anna de Vries", "1002": "Bram Visser", "1003": "Anouk Bakker"}
    by_name = AutoAttendantConfig("7099", "Menu", {"main": Menu("main", "Main", options=(
        MenuOption("7", OptionAction.DIAL_NAME),))}, names=names, max_misses=3)  # fmt: skip
    assert menu.spelled("Visser") == "847737"
    call, _ = menu.begin(by_name, MONDAY_NOON)
    menu.digit(by_name, call, "7")
    menu.digit(by_name, call, "8")  # "v": Anna de Vries and Bram Visser
    again = menu.digit(by_name, call, "#")
    assert again == [menu.SayInvalid(), menu.Say(by_name.menus["main"])]
    menu.digit(by_name, call, "7")
    for key in "847":  # "vis": only Visser
        menu.digit(by_name, call, key)
    [transfer] = menu.timed_out(by_name, call)
    assert transfer == menu.TransferTo("1002", "dialled the name of Bram Visser")

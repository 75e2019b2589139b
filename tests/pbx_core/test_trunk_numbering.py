"""Numbering core (pure): dialled strings and incoming numbers as E.164, their category, the
outgoing calling plan and where direct numbers and outside numbers go."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.number_categories import Category
from pbx_core.trunks.calling_plan import DEFAULT_PLAN, OutgoingPlan
from pbx_core.trunks.numbering import MAX_DIALLED, outside_number, to_e164
from pbx_core.trunks.routing import Carrier, CarrierCall, DirectNumber, Refused, TrunkRouting

CARRIER = ("127.0.0.1", 5090)
ROUTE = (Carrier("127.0.0.1", 5090),)
DUTCH_SUBSCRIBER = st.from_regex(r"(10|20|30|40|50|70|71|72|73|76|79)[2-9][0-9]{6}", fullmatch=True)
"""The nine digits after the 0 of a Dutch geographic number (a few big cities' area codes)."""


@pytest.mark.parametrize(
    ("dialled", "e164", "category"),
    [
        ("0201234567", "+31201234567", Category.NATIONAL),
        ("+31201234567", "+31201234567", Category.NATIONAL),
        ("0031201234567", "+31201234567", Category.NATIONAL),
        ("0612345678", "+31612345678", Category.MOBILE),
        ("09001234567", "+319001234567", Category.PREMIUM_RATE),
        ("0906123456", "+31906123456", Category.PREMIUM_RATE),
        ("0909123456", "+31909123456", Category.PREMIUM_RATE),
        ("08001234", "+318001234", Category.SERVICE),
        ("14020", "+3114020", Category.SERVICE),
        ("0881234567", "+31881234567", Category.NATIONAL),
        ("+442071234567", "+442071234567", Category.INTERNATIONAL),
        ("00442071234567", "+442071234567", Category.INTERNATIONAL),
        ("+447911123456", "+447911123456", Category.INTERNATIONAL),
        ("112", "112", Category.EMERGENCY),
    ],
)
def test_dialled_numbers_become_e164_with_their_category(
    dialled: str, e164: str, category: Category
) -> None:
    number = outside_number(dialled)
    assert number is not None
    assert (number.e164, number.category) == (e164, category)


@pytest.mark.parametrize(
    "dialled", ["", "abc", "0", "00", "+", "0900", "0201234", "1001", "+31+201234567",
                "02012345678901234567890123456789012", "0201234567;user=phone", "sip:1@x"],
)  # fmt: skip
def test_what_is_no_number_is_refused(dialled: str) -> None:
    assert outside_number(dialled) is None


@given(DUTCH_SUBSCRIBER)
def test_the_three_written_forms_of_a_dutch_number_are_one_e164(subscriber: str) -> None:
    national = to_e164("0" + subscriber)
    assert national is not None
    assert national == to_e164("0031" + subscriber) == to_e164("+31" + subscriber)
    assert national == "+31" + subscriber
    assert to_e164(national) == national  # idempotent


@given(st.text(max_size=2 * MAX_DIALLED))
def test_any_text_gives_a_valid_e164_or_none_never_an_error(text: str) -> None:
    number = outside_number(text)
    if number is not None and number.category is not Category.EMERGENCY:
        assert number.e164.startswith("+") and number.e164[1:].isdigit()
        assert to_e164(number.e164) == number.e164


@given(st.sampled_from(list(Category)), st.sets(st.sampled_from(list(Category))))
def test_emergency_is_allowed_by_every_plan(category: Category, denied: set[Category]) -> None:
    plan = OutgoingPlan(frozenset(denied))
    assert plan.allows(Category.EMERGENCY)
    if category is not Category.EMERGENCY:
        assert plan.allows(category) == (category not in denied)


def _routing(plans: dict[str, OutgoingPlan] | None = None) -> TrunkRouting:
    return TrunkRouting.of(
        CARRIER,
        [
            DirectNumber("+31201230001", "demo", "1001"),
            DirectNumber("+31201230000", "demo", "7001"),
            DirectNumber("+31301230000", "other", "7001"),
        ],
        plans,
    )


def test_direct_numbers_are_found_in_any_written_form_and_unknown_ones_are_nobodys() -> None:
    routing = _routing()
    for form in ("+31201230001", "0201230001", "0031201230001"):
        assert routing.inbound(form) == DirectNumber("+31201230001", "demo", "1001")
    assert routing.inbound("+31201230002") is None
    assert routing.inbound("1001") is None  # an extension is no direct number
    assert routing.inbound("garbage") is None


def test_caller_id_is_the_users_direct_number_else_the_tenants_main_number() -> None:
    routing = _routing()
    own = routing.outbound("demo", "1001", "0201234567")
    other = routing.outbound("demo", "1002", "+31201234567")
    assert own == CarrierCall(ROUTE, "+31201234567", Category.NATIONAL, "+31201230001", False)
    assert other == CarrierCall(ROUTE, "+31201234567", Category.NATIONAL, "+31201230000", False)
    assert routing.outbound("other", "1001", "0201234567") == CarrierCall(
        ROUTE, "+31201234567", Category.NATIONAL, "+31301230000", False
    )  # the other tenant's 1001 is another person: its own tenant's number, never demo's


def test_premium_rate_is_refused_by_default_and_star67_hides_the_number_once() -> None:
    routing = _routing()
    assert routing.outbound("demo", "1002", "09001234567") == Refused(
        403, "Forbidden", Category.PREMIUM_RATE
    )
    hidden = routing.outbound("demo", "1002", "*670612345678")
    assert isinstance(hidden, CarrierCall) and hidden.hidden
    assert hidden.request_user == "+31612345678"
    assert routing.outbound("demo", "1002", "not-a-number") == Refused(
        484, "Address Incomplete", None
    )


def test_112_goes_out_with_the_real_number_even_for_a_tenant_that_may_call_nothing() -> None:
    blocked = OutgoingPlan(frozenset(Category) - {Category.INTERNAL})
    routing = _routing({"demo": blocked})
    assert isinstance(routing.outbound("demo", "1002", "0201234567"), Refused)
    assert routing.outbound("demo", "1001", "*67112") == CarrierCall(
        ROUTE, "112", Category.EMERGENCY, "+31201230001", False
    )
    assert DEFAULT_PLAN.allows(Category.INTERNATIONAL)


def test_without_a_carrier_nothing_leaves_and_without_a_number_only_112() -> None:
    assert TrunkRouting().outbound("demo", "1001", "0201234567") == Refused(
        404, "Not Found", Category.NATIONAL
    )
    bare = TrunkRouting.of(CARRIER)
    assert bare.outbound("demo", "1001", "0201234567") == Refused(
        403, "No Number To Call From", Category.NATIONAL
    )
    assert isinstance(bare.outbound("demo", "1001", "112"), CarrierCall)


def test_a_users_own_plan_replaces_the_tenants_and_permanent_hiding_applies_but_not_to_112() -> (
    None
):
    routing = TrunkRouting.of(
        CARRIER,
        [DirectNumber("+31201230001", "demo", "1001")],
        plans={"demo": OutgoingPlan(frozenset({Category.MOBILE}))},
        user_plans={("demo", "1001"): OutgoingPlan(frozenset())},
        hidden=[("demo", "1002")],
    )
    assert isinstance(routing.outbound("demo", "1001", "0612345678"), CarrierCall)
    assert routing.outbound("demo", "1002", "0612345678") == Refused(
        403, "Forbidden", Category.MOBILE
    )
    hidden = routing.outbound("demo", "1002", "0201234567")
    assert isinstance(hidden, CarrierCall) and hidden.hidden
    emergency = routing.outbound("demo", "1002", "112")
    assert isinstance(emergency, CarrierCall) and not emergency.hidden
    # The same extension in another tenant is another user: none of it applies there.
    assert routing.outbound("other", "1001", "0612345678") == Refused(
        403, "No Number To Call From", Category.MOBILE
    )


def test_a_tenants_own_trunks_come_first_then_the_platforms() -> None:
    own = (Carrier("192.0.2.10", 5060, "acct", "secret"), Carrier("192.0.2.11", 5060))
    routing = TrunkRouting.of(
        CARRIER,
        [DirectNumber("+31201230001", "demo", "1001")],
        tenant_carriers={"demo": own},
    )
    placed = routing.outbound("demo", "1001", "0201234567")
    assert isinstance(placed, CarrierCall)
    assert placed.route == (*own, Carrier("127.0.0.1", 5090))
    assert routing.forwarded("+31612345678", "0201234567") == CarrierCall(
        ROUTE, "+31201234567", Category.NATIONAL, "+31612345678", False
    )  # a forwarded call leaves through the platform's trunks with the original caller
    assert routing.reaches_outside and not TrunkRouting().reaches_outside


def test_a_pin_category_is_marked_for_its_caller_but_112_and_forwarded_calls_never_are() -> None:
    pin_abroad = OutgoingPlan(frozenset(), pin=frozenset({Category.INTERNATIONAL, Category.MOBILE}))
    routing = TrunkRouting.of(
        CARRIER,
        [DirectNumber("+31201230001", "demo", "1001")],
        plans={"demo": pin_abroad},
        user_plans={("demo", "1002"): OutgoingPlan(frozenset())},
    )
    abroad = routing.outbound("demo", "1001", "00442079460000")
    assert isinstance(abroad, CarrierCall) and abroad.pin
    national = routing.outbound("demo", "1001", "0201234567")
    assert isinstance(national, CarrierCall) and not national.pin
    own_plan = routing.outbound("demo", "1002", "00442079460000")  # 1002's plan has no PIN
    assert isinstance(own_plan, CarrierCall) and not own_plan.pin
    emergency = routing.outbound("demo", "1001", "112")
    assert isinstance(emergency, CarrierCall) and not emergency.pin
    forwarded = routing.forwarded("+31201230001", "0612345678")
    assert isinstance(forwarded, CarrierCall) and not forwarded.pin
    assert not OutgoingPlan(pin=frozenset(Category)).needs_pin(Category.EMERGENCY)

"""Incoming calling plans and intercept in the PBX's routing (pbx_core/trunks/incoming_plan.py,
routing.py, sip/direct_numbers.py): refusals by origin and calling-number category, the user's
plan in place of its tenant's, and two tenants with the same extensions kept apart."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from sippy.CCEvents import CCEventFail

from common.number_categories import Category
from pbx_core import call_control as cc
from pbx_core.directory import Directories, Directory, SipUser
from pbx_core.sip.direct_numbers import DirectNumbers
from pbx_core.trunks.incoming_plan import INTERCEPT_ROUTE, IncomingPlan
from pbx_core.trunks.routing import CarrierCall, DirectNumber, Refused, TrunkRouting

NUMBERS = (DirectNumber("+31201230001", "a", "1001"), DirectNumber("+31201240001", "b", "1001"))


def routing(**kw: Any) -> TrunkRouting:
    return TrunkRouting.of(("192.0.2.9", 5060), NUMBERS, **kw)


def test_refused_by_origin_and_category_the_users_plan_first() -> None:
    trunks = routing(
        incoming_plans={"a": IncomingPlan(denied=frozenset({Category.INTERNATIONAL}))},
        user_incoming_plans={("a", "1002"): IncomingPlan(internal=False)},
    )
    refused = trunks.incoming("a", "1001", "+4930123456")
    assert refused == Refused(403, "Calls From This Number Not Accepted", Category.INTERNATIONAL)
    assert trunks.incoming("a", "1001", "0612345678") is None
    assert trunks.incoming("a", None, "004930123456") is not None  # a call center's number too
    assert trunks.incoming("a", "1001", "anonymous") is None  # no number, no category
    # 1002's own plan replaces the tenant's: international welcome, its colleagues not.
    assert trunks.incoming("a", "1002", "+4930123456") is None
    internal = trunks.incoming("a", "1002", None)
    assert internal is not None and internal.reason == "Internal Calls Not Accepted"
    assert trunks.incoming("b", "1002", None) is None  # b's 1002 is another user
    assert trunks.incoming("b", "1001", "+4930123456") is None


def test_an_intercepted_tenant_calls_out_only_112_and_the_other_tenant_still_does() -> None:
    trunks = routing(intercepted=["a"])
    assert trunks.outbound("a", "1001", "0612345678") == Refused(403, "Forbidden",
                                                                 Category.MOBILE)  # fmt: skip
    assert isinstance(trunks.outbound("a", "1001", "112"), CarrierCall)
    assert isinstance(trunks.outbound("b", "1001", "0612345678"), CarrierCall)


def test_an_intercepted_user_calls_out_only_112_and_nobody_else_is_touched() -> None:
    trunks = routing(intercepted_users=[("a", "1001")])
    assert trunks.outbound("a", "1001", "0612345678") == Refused(403, "Forbidden",
                                                                 Category.MOBILE)  # fmt: skip
    assert isinstance(trunks.outbound("a", "1001", "112"), CarrierCall)
    assert isinstance(trunks.outbound("a", "1002", "0612345678"), CarrierCall)  # a colleague
    assert isinstance(trunks.outbound("b", "1001", "0612345678"), CarrierCall)  # same extension


class _Ua:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def recvEvent(self, event: Any) -> None:  # sippy's name
        self.events.append(event)


def _direct(trunks: TrunkRouting) -> tuple[DirectNumbers, list[Any]]:
    directories = Directories.of([
        Directory.of([SipUser("1001", tenant=t)], ["7001"], (), tenant=t, domain=f"{t}.test")
        for t in ("a", "b")
    ])  # fmt: skip
    rung: list[Any] = []
    forwarding = SimpleNamespace(ring=lambda call, ext, **_: rung.append((call.tenant, ext)))
    ctx = SimpleNamespace(
        directories=directories,
        trunks=trunks,
        forwarding=forwarding,
        offers=SimpleNamespace(refuse_over_capacity=lambda *_: False),  # no capacity set
        bridge_rooms=SimpleNamespace(room=lambda *_: None),  # no conference rooms
    )
    return DirectNumbers(cast(Any, ctx)), rung


def _call(direct: DirectNumbers, caller: str, called: str) -> tuple[list[Any], _Ua]:
    started: list[Any] = []

    def start(source: cc.CallSource, tenant: str, name: Any, route: str | None, **kw: Any) -> Any:
        started.append((tenant, route, kw["called"]))
        return SimpleNamespace(tenant=tenant)

    ua = _Ua()
    direct.route(ua, caller, called, "", "sdp", start)
    return started, ua


def test_the_carriers_calls_intercepted_or_refused_in_their_own_tenant_only() -> None:
    trunks = routing(
        intercepted=["a"], user_incoming_plans={("b", "1001"): IncomingPlan(external=False)}
    )
    direct, rung = _direct(trunks)
    # a is intercepted: its 1001's number goes to the intercept message, not the phone.
    started, ua = _call(direct, "0612345678", "+31201230001")
    assert started == [("a", INTERCEPT_ROUTE, "1001")] and rung == [] and ua.events == []
    # b's 1001 (the same extension) takes no calls from outside: 403, never the intercept.
    started, ua = _call(direct, "0612345678", "+31201240001")
    assert started == [] and rung == []
    [refusal] = ua.events
    assert isinstance(refusal, CCEventFail) and refusal.getData()[0] == 403
    # Without b's plan, b's 1001 rings as always although a is intercepted.
    direct, rung = _direct(routing(intercepted=["a"]))
    started, ua = _call(direct, "0612345678", "+31201240001")
    assert started == [("b", None, "1001")] and rung == [("b", "1001")]

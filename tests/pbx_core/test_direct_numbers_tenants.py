"""Direct numbers with tenants: a number routes in the tenant that owns it, never in another
tenant that has an extension or call center of the same name (sip/direct_numbers.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from pbx_core import call_control as cc
from pbx_core.directory import Directories, Directory, SipUser
from pbx_core.sip.direct_numbers import DirectNumbers
from pbx_core.trunks.routing import DirectNumber, TrunkRouting

CARRIER = "192.0.2.7"


class _Forwarding:
    def __init__(self) -> None:
        self.rung: list[tuple[Any, str]] = []

    def ring(
        self, call: Any, extension: str, *, inhibited: bool = False, private: bool = False
    ) -> None:
        self.rung.append((call, extension))


class _Ua:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def recvEvent(self, event: Any) -> None:  # sippy's name
        self.events.append(event)


def _numbers(*numbers: DirectNumber) -> tuple[DirectNumbers, _Forwarding]:
    directories = Directories.of(
        [
            Directory.of([SipUser("1001", tenant="a")], ["7001"], (), tenant="a", domain="a.test"),
            Directory.of([SipUser("1001", tenant="b")], ["7001"], (), tenant="b", domain="b.test"),
        ]
    )
    forwarding = _Forwarding()
    ctx = SimpleNamespace(
        directories=directories,
        trunks=TrunkRouting.of(None, numbers, inbound_addresses=[CARRIER]),
        forwarding=forwarding,
        offers=SimpleNamespace(refuse_over_capacity=lambda *_: False),  # no capacity set
        bridge_rooms=SimpleNamespace(room=lambda *_: None),  # no conference rooms
    )
    return DirectNumbers(cast(Any, ctx)), forwarding


def _route(direct: DirectNumbers, called: str) -> tuple[list[dict[str, Any]], _Ua]:
    started: list[dict[str, Any]] = []

    def start(source: cc.CallSource, tenant: str, name: Any, route: str | None, **kw: Any) -> Any:
        started.append({"source": source, "tenant": tenant, "route": route, **kw})
        return SimpleNamespace(tenant=tenant)

    ua = _Ua()
    direct.route(ua, "0612345678", called, "", "sdp", start)
    return started, ua


def test_a_users_number_rings_that_user_in_the_numbers_tenant() -> None:
    direct, forwarding = _numbers(DirectNumber("+31201230001", "b", "1001"))
    started, ua = _route(direct, "0201230001")
    assert ua.events == []
    assert [(s["tenant"], s["route"], s["called"], s["caller"]) for s in started] == [
        ("b", None, "1001", "+31612345678")
    ]
    assert started[0]["source"] is cc.CallSource.TRUNK
    assert [(call.tenant, extension) for call, extension in forwarding.rung] == [("b", "1001")]


def test_a_call_centers_number_queues_in_the_numbers_tenant() -> None:
    direct, forwarding = _numbers(DirectNumber("+31201230002", "a", "7001"))
    started, _ua = _route(direct, "+31201230002")
    assert [(s["tenant"], s["route"], s["called"]) for s in started] == [("a", "7001", "7001")]
    assert forwarding.rung == []


def test_a_destination_the_tenant_does_not_have_is_404_not_another_tenants() -> None:
    direct, forwarding = _numbers(DirectNumber("+31201230003", "a", "1002"))
    started, ua = _route(direct, "+31201230003")
    assert started == [] and forwarding.rung == []
    assert [event.getData()[0] for event in ua.events] == [404]


def test_the_carrier_is_told_from_a_tenants_phone_by_the_tenant_of_its_domain() -> None:
    direct, _ = _numbers()
    # The carrier: a trunk address, an outside caller, a number that is no extension.
    assert direct.is_carrier_request(CARRIER, "carrier.test", "b.test", "0612345678", "0201230001")
    # A phone of tenant a calling out from the same address is not the carrier.
    assert not direct.is_carrier_request(CARRIER, "a.test", "a.test", "1001", "0201230001")
    # Nor is a request to tenant b's call center, which keeps the trunk path.
    assert not direct.is_carrier_request(CARRIER, "carrier.test", "b.test", "0612345678", "7001")
    # Nor anything from an address that is no trunk.
    assert not direct.is_carrier_request("198.51.100.1", "x.test", "b.test", "061234", "0201230001")

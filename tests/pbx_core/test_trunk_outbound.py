"""The outside world over real SIP: SIPp as the carrier takes outbound calls (checking
Request-URI, From, P-Asserted-Identity, Privacy) and sends calls to direct numbers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from common.number_categories import Category
from pbx_core import call_control as cc
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.service import PbxService
from pbx_core.trunks.alerts import AlertKind, TenantAlert
from pbx_core.trunks.calling_plan import OutgoingPlan
from pbx_core.trunks.fraud_guard import VelocityLimit, VelocityLimits
from pbx_core.trunks.routing import Carrier as Carrier_
from pbx_core.trunks.routing import DirectNumber, TrunkRouting
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import (
    EventLog,
    Sipp,
    agent_phone,
    free_port,
    free_sip_port,
    run_sipp,
)

NUMBERS = [
    DirectNumber("+31201230000", "demo", "7001"),
    DirectNumber("+31201230001", "demo", "1001"),
]
"""The demo's: the main number to the Helpdesk, 1001's own number; 1002 has none."""
CUSTOMER = "+31201234567"


@pytest.fixture
async def pbx(
    redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess
) -> AsyncIterator[PbxService]:
    carrier = ("127.0.0.1", free_sip_port())
    config = PbxConfig(
        sip_port=free_sip_port(),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
        prompts_dir=prompts_dir,
        outbound_trunk=carrier,
        extension_ring_timeout=5.0,
    )
    service = PbxService(config, directory_for_tests())
    await service.start()
    await service.update_trunks(TrunkRouting.of(carrier, NUMBERS))
    yield service
    await service.stop()


def carrier_port(pbx: PbxService) -> int:
    assert pbx.config.outbound_trunk is not None
    return pbx.config.outbound_trunk[1]


async def _refused(pbx: PbxService, tmp_path: Path, extension: str, dialled: str, code: int
                   ) -> None:  # fmt: skip
    """`extension` dials `dialled` and gets `code` (`sipp/ext_call_fails_<code>.xml`)."""
    caller = await run_sipp(
        f"ext_call_fails_{code}.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": extension, "to": dialled, "media_port": free_port()},
        extra=["-au", extension, "-ap", f"pw{extension}"],
    )
    assert caller.returncode == 0, caller.errors


async def _extension_calls(pbx: PbxService, tmp_path: Path, extension: str, dialled: str) -> None:
    caller = await run_sipp(
        "ext_call.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": extension, "to": dialled, "media_port": free_port(), "hold_ms": 300},
        extra=["-au", extension, "-ap", f"pw{extension}"],
    )
    assert caller.returncode == 0, caller.errors


async def test_a_national_number_reaches_the_carrier_as_e164_from_the_users_direct_number(
    pbx: PbxService, tmp_path: Path
) -> None:
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "0201234567")
        seen = await carrier.finished()
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{carrier.port}"
    assert seen["from"].startswith("<sip:+31201230001@")
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"
    assert "privacy" not in seen


async def test_without_a_direct_number_the_main_number_is_shown(
    pbx: PbxService, tmp_path: Path
) -> None:
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1002", CUSTOMER)
        seen = await carrier.finished()
    assert seen["r-uri"].startswith(f"sip:{CUSTOMER}@")
    assert seen["p-asserted-identity"] == "<sip:+31201230000@127.0.0.1>"


async def test_star67_hides_the_number_for_one_call(pbx: PbxService, tmp_path: Path) -> None:
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "*670612345678")
        seen = await carrier.finished()
    assert seen["r-uri"].startswith("sip:+31612345678@")
    assert seen["from"].startswith("Anonymous <sip:anonymous@")
    assert seen["privacy"] == "id"
    # The carrier still learns who calls (and withholds it): RFC 3325.
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"


async def test_premium_rate_is_refused_with_403_and_a_clear_event(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    await _refused(pbx, tmp_path, "1002", "09001234567", 403)
    failed = await events.next_of(cc.OfferFailed, extension="09001234567")
    assert (failed.failure, failed.code) == (cc.OfferFailure.REJECTED, 403)
    assert await pbx.active_calls() == []


async def test_112_goes_out_with_the_real_number_even_when_everything_is_blocked(
    pbx: PbxService, tmp_path: Path
) -> None:
    assert pbx.config.outbound_trunk is not None
    blocked = OutgoingPlan(frozenset(Category))
    plans = {"demo": blocked}
    await pbx.update_trunks(TrunkRouting.of(pbx.config.outbound_trunk, NUMBERS, plans))
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "*67112")
        seen = await carrier.finished()
    assert seen["r-uri"].startswith("sip:112@")
    assert seen["from"].startswith("<sip:+31201230001@")
    assert "privacy" not in seen


async def test_a_dialled_string_that_is_no_number_gets_a_clear_refusal(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    await _refused(pbx, tmp_path, "1002", "0900", 484)
    failed = await events.next_of(cc.OfferFailed, extension="0900")
    assert failed.code == 484


async def _click_to_dial_out(
    pbx: PbxService,
    events: EventLog,
    tmp_path: Path,
    trunk_port: int,
    scenario: str = "carrier_digest.xml",
) -> dict[str, str]:
    """1001 clicks to dial 0201234567; the trunk at `trunk_port` answers: what it saw."""
    agent = await agent_phone(
        pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path, ring_ms=200
    )
    try:
        async with Carrier(trunk_port, tmp_path, scenario) as carrier:
            pbx.send(cc.Dial("c2d-out", "1001", "0201234567", ring_timeout=20))
            await events.next_of(
                cc.CallAnswered, timeout=30, call_id="c2d-out", leg_id="destination"
            )
            pbx.send(cc.Hangup("c2d-out"))
            seen = await carrier.finished()
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()
    return seen


async def test_click_to_dial_reaches_the_carrier_with_the_agents_number(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    seen = await _click_to_dial_out(pbx, events, tmp_path, carrier_port(pbx), "carrier_answer.xml")
    assert seen["r-uri"].startswith(f"sip:{CUSTOMER}@")
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"


async def test_click_to_dial_leaves_a_silent_trunk_for_the_next(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    loop = asyncio.get_running_loop()
    silent = SilentCarrier()
    transport, _ = await loop.create_datagram_endpoint(lambda: silent, local_addr=("127.0.0.1", 0))
    down = transport.get_extra_info("sockname")[1]
    up = free_sip_port()
    trunks = (Carrier_("127.0.0.1", down), Carrier_("127.0.0.1", up, "acct", "secret"))
    await pbx.update_trunks(TrunkRouting.of(None, NUMBERS, tenant_carriers={"demo": trunks}))
    try:
        seen = await _click_to_dial_out(pbx, events, tmp_path, up)
    finally:
        transport.close()
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{up}"
    assert "INVITE" in silent.methods and set(silent.methods) <= {"INVITE", "CANCEL"}


async def test_a_direct_number_from_the_carrier_rings_its_user(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    await _carrier_calls_1001(pbx, events, tmp_path, "trunk_call.xml", to="0201230001")


async def _carrier_calls_1001(
    pbx: PbxService, events: EventLog, tmp_path: Path, scenario: str, **variables: str
) -> None:
    """The carrier calls from 0612345678 (`scenario`, `variables`): 1001 rings, answers and
    gets the BYE."""
    phone = await agent_phone(pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp(
            scenario,
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": "0612345678", "media_port": free_port(), "hold_ms": 500} | variables,
        )
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        assert (offered.caller, offered.called, offered.source) == (
            "+31612345678",
            "1001",
            cc.CallSource.TRUNK,
        )
        await events.next_of(cc.CallAnswered, call_id=offered.call_id, extension="1001")
        assert (await phone.wait()).returncode == 0, "the phone must get the BYE"
    finally:
        phone.kill()


async def test_the_main_number_reaches_the_call_center(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1003"))
    phone = await agent_phone(pbx.config.sip_port, "1003", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp(
            "trunk_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": CUSTOMER, "to": "+31201230000", "media_port": free_port(),
                       "hold_ms": 500},
        )  # fmt: skip
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        assert (offered.called, offered.source) == ("7001", cc.CallSource.TRUNK)
    finally:
        phone.kill()


@pytest.mark.parametrize("called", ["+31201230002", "0209999999", "garbage"])
async def test_a_number_nobody_owns_gets_404_and_a_log_line(
    pbx: PbxService, tmp_path: Path, called: str, caplog: pytest.LogCaptureFixture
) -> None:
    caller = await run_sipp(
        "trunk_call_fails_404.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": CUSTOMER, "to": called, "media_port": free_port()},
    )
    assert caller.returncode == 0, caller.errors
    assert "nobody's number" in caplog.text
    assert await pbx.active_calls() == []


@pytest.mark.parametrize("by", ["extension", "click_to_dial"])
async def test_a_503_from_the_first_trunk_tries_the_next_which_gets_its_digest_answer(
    pbx: PbxService, events: EventLog, tmp_path: Path, by: str
) -> None:
    """An extension's call, and click-to-dial's destination leg (the agent's phone keeps its
    call meanwhile)."""
    down, up = free_sip_port(), free_sip_port()
    trunks = (Carrier_("127.0.0.1", down), Carrier_("127.0.0.1", up, "acct", "secret"))
    await pbx.update_trunks(TrunkRouting.of(None, NUMBERS, tenant_carriers={"demo": trunks}))
    unavailable = await Sipp("carrier_unavailable.xml", work_dir=tmp_path, local_port=down).start()
    try:
        if by == "extension":
            async with Carrier(up, tmp_path, "carrier_digest.xml") as carrier:
                await _extension_calls(pbx, tmp_path, "1001", "0201234567")
                seen = await carrier.finished()
        else:
            seen = await _click_to_dial_out(pbx, events, tmp_path, up)
        assert (await unavailable.wait()).returncode == 0, "the first trunk was tried"
    finally:
        unavailable.kill()
    assert seen["digest"] == "true"
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{up}"
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"
    failed = [e for e in events.seen if isinstance(e, cc.OfferFailed)]
    assert failed == [], "the 503 is the trunk's, not the call's"


class SilentCarrier(asyncio.DatagramProtocol):
    """A trunk that is down without saying so: it takes every datagram and answers nothing."""

    def __init__(self) -> None:
        self.first_invite_at: float | None = None
        self.methods: list[str] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        method = data.split(b" ", 1)[0].decode(errors="replace")
        self.methods.append(method)
        if method == "INVITE" and self.first_invite_at is None:
            self.first_invite_at = asyncio.get_running_loop().time()


async def test_a_silent_first_trunk_is_left_for_the_next_long_before_the_sip_timeout(
    pbx: PbxService, tmp_path: Path
) -> None:
    """Issue 15.1: "a 503 or timeout on the first tries the next". A carrier that answers
    nothing would hold the call for SIP's 32 s transaction timeout; the PBX gives it
    `SILENT_CARRIER_SECONDS` when another trunk is on the route."""
    loop = asyncio.get_running_loop()
    silent = SilentCarrier()
    transport, _ = await loop.create_datagram_endpoint(lambda: silent, local_addr=("127.0.0.1", 0))
    down = transport.get_extra_info("sockname")[1]
    up = free_sip_port()
    trunks = (Carrier_("127.0.0.1", down), Carrier_("127.0.0.1", up))
    await pbx.update_trunks(TrunkRouting.of(None, NUMBERS, tenant_carriers={"demo": trunks}))
    try:
        async with Carrier(up, tmp_path) as carrier:
            await _extension_calls(pbx, tmp_path, "1001", "0201234567")
            answered_at = loop.time()
            seen = await carrier.finished()
    finally:
        transport.close()
    assert seen["r-uri"] == f"sip:{CUSTOMER}@127.0.0.1:{up}"
    assert silent.first_invite_at is not None and set(silent.methods) <= {"INVITE", "CANCEL"}
    # The whole call (4 s of silence, the answer, 0.3 s of talk) ends far inside Timer B.
    assert answered_at - silent.first_invite_at < 16


async def test_over_the_tenants_call_capacity_a_call_gets_486(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    assert pbx.config.outbound_trunk is not None
    capped = TrunkRouting.of(pbx.config.outbound_trunk, NUMBERS, capacity={"demo": 1})
    await pbx.update_trunks(capped)
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        first = asyncio.create_task(
            run_sipp(
                "ext_call.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", pbx.config.sip_port),
                variables={"from": "1001", "to": "0201234567", "media_port": free_port(),
                           "hold_ms": 3000},
                extra=["-au", "1001", "-ap", "pw1001"],
            )
        )  # fmt: skip
        await events.next_of(cc.CallAnswered, extension="0201234567")
        await _refused(pbx, tmp_path, "1002", "0612345678", 486)
        failed = await events.next_of(cc.OfferFailed, extension="0612345678")
        assert (failed.failure, failed.code) == (cc.OfferFailure.BUSY, 486)
        assert (await first).returncode == 0
        await carrier.finished()


async def _alerts(alerts: list[TenantAlert], count: int) -> list[TenantAlert]:
    """The first `count` alerts the PBX raised (they reach the loop from the SIP thread)."""
    for _ in range(200):
        if len(alerts) >= count:
            break
        await asyncio.sleep(0.05)
    return alerts[:count]


async def test_calls_from_the_carrier_count_against_the_tenants_call_capacity(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    """BroadWorks' Call Capacity Management counts both directions: one call in from the
    carrier fills a capacity of 1, so a second one (to the call center's number) and a call out
    get 486, and the tenant's admins are told each time."""
    assert pbx.config.outbound_trunk is not None
    alerts: list[TenantAlert] = []
    pbx.on_alert(alerts.append)
    capped = TrunkRouting.of(pbx.config.outbound_trunk, NUMBERS, capacity={"demo": 1})
    await pbx.update_trunks(capped)
    phone = await agent_phone(pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        first = asyncio.create_task(
            run_sipp(
                "trunk_call.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", pbx.config.sip_port),
                variables={"from": "0612345678", "to": "+31201230001", "media_port": free_port(),
                           "hold_ms": 4000},
            )
        )  # fmt: skip
        await events.next_of(cc.CallAnswered, extension="1001")
        second = await run_sipp(
            "trunk_call_rejected.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": CUSTOMER, "to": "+31201230000", "media_port": free_port()},
        )
        assert second.returncode == 0, second.errors
        await _refused(pbx, tmp_path, "1002", "0612345670", 486)
        told = await _alerts(alerts, 2)
        assert [(a.tenant, a.kind) for a in told] == [("demo", AlertKind.CALL_CAPACITY)] * 2
        assert "+31201230000" in told[0].text and "0612345670" not in told[0].text
        assert "the limit is 1" in told[1].text
        assert (await first).returncode == 0
    finally:
        phone.kill()
    # The first call ended: there is room again.
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1002", "0612345670")
        await carrier.finished()


async def test_click_to_dial_counts_against_call_capacity_and_is_refused_over_it(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    assert pbx.config.outbound_trunk is not None
    alerts: list[TenantAlert] = []
    pbx.on_alert(alerts.append)
    capped = TrunkRouting.of(pbx.config.outbound_trunk, NUMBERS, capacity={"demo": 1})
    await pbx.update_trunks(capped)
    agent = await agent_phone(
        pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path, ring_ms=200
    )
    try:
        async with Carrier(carrier_port(pbx), tmp_path, "carrier_answer.xml") as carrier:
            pbx.send(cc.Dial("c2d-cap", "1001", "0201234567", ring_timeout=20))
            await events.next_of(
                cc.CallAnswered, timeout=30, call_id="c2d-cap", leg_id="destination"
            )
            # The click-to-dial call holds the tenant's one line: a call out is refused.
            await _refused(pbx, tmp_path, "1002", "0612345670", 486)
            pbx.send(cc.Hangup("c2d-cap"))
            await carrier.finished()
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()
    # The line is free again, but a click over the capacity is refused like any call out.
    none_left = TrunkRouting.of(pbx.config.outbound_trunk, NUMBERS, capacity={"demo": 0})
    await pbx.update_trunks(none_left)
    agent = await agent_phone(pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        pbx.send(cc.Dial("c2d-over", "1001", "0201234567", ring_timeout=15))
        failed = await events.next_of(cc.OfferFailed, call_id="c2d-over", leg_id="destination")
        assert (failed.failure, failed.code) == (cc.OfferFailure.BUSY, 486)
        await events.next_of(cc.CallHungUp, call_id="c2d-over")
    finally:
        agent.kill()
    told = await _alerts(alerts, 2)
    assert [a.kind for a in told] == [AlertKind.CALL_CAPACITY] * 2
    assert "+31201234567" in told[1].text and "the limit is 0" in told[1].text


async def test_the_toll_fraud_guard_refuses_a_burst_of_international_calls(
    pbx: PbxService, events: EventLog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert pbx.config.outbound_trunk is not None
    alerts: list[TenantAlert] = []
    pbx.on_alert(alerts.append)
    strict = VelocityLimits(per_user=VelocityLimit(1, 600))
    await pbx.update_trunks(TrunkRouting.of(pbx.config.outbound_trunk, NUMBERS, velocity=strict))
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "+442071234567")
        await carrier.finished()
    await _refused(pbx, tmp_path, "1001", "00442071234568", 403)
    assert "toll-fraud guard" in caplog.text
    (told,) = await _alerts(alerts, 1)
    assert (told.tenant, told.kind) == ("demo", AlertKind.TOLL_FRAUD)
    assert "1001" in told.text and "+442071234568" in told.text and "international" in told.text
    # A national call is no toll-fraud target: it still goes out.
    async with Carrier(carrier_port(pbx), tmp_path) as carrier:
        await _extension_calls(pbx, tmp_path, "1001", "0201234567")
        await carrier.finished()


@pytest.mark.parametrize(
    ("caller", "host", "privacy"),
    [
        ("+31612345678", "127.0.0.1", "id"),  # a real From, but the caller asked for privacy
        ("0612345678", "127.0.0.1", "header; critical"),
        ("anonymous", "127.0.0.1", ""),  # the From user alone
        ("anonymous", "anonymous.invalid", "none"),  # RFC 3323's anonymous From
        ("+31612345678", "anonymous.invalid", "none"),
    ],
)
async def test_a_caller_who_withholds_its_identity_is_rejected_however_it_says_so(
    pbx: PbxService, events: EventLog, tmp_path: Path, caller: str, host: str, privacy: str
) -> None:
    assert pbx.config.outbound_trunk is not None
    rejecting = TrunkRouting.of(
        pbx.config.outbound_trunk, NUMBERS, rejecting_anonymous=[("demo", "1001")]
    )
    await pbx.update_trunks(rejecting)
    refused = await run_sipp(
        "trunk_call_private_fails_433.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": caller, "from_host": host, "privacy": privacy,
                   "to": "+31201230001", "media_port": free_port()},
    )  # fmt: skip
    assert refused.returncode == 0, refused.errors
    assert await pbx.active_calls() == []
    # A caller who shows its number still gets through.
    await _carrier_calls_1001(pbx, events, tmp_path, "trunk_call.xml", to="+31201230001")


def _registering(host: str) -> TrunkRouting:
    """A trunk registering account `acct` at `host` (no registrar answers: harmless here)."""
    trunk = Carrier_(host, free_sip_port(), "acct", "secret", register_expires=300, key="reg")
    return TrunkRouting.of(None, NUMBERS, tenant_carriers={"demo": (trunk,)})


async def test_a_call_to_the_registered_account_goes_to_the_number_in_to(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    """A carrier we register to addresses its calls to the registration (Request-URI user =
    the account), the dialled number in To."""
    await pbx.update_trunks(_registering("127.0.0.1"))
    scenario = "trunk_call_to_account.xml"
    await _carrier_calls_1001(pbx, events, tmp_path, scenario, account="acct", to="0201230001")


async def test_the_account_from_another_address_is_not_routed_by_to(
    pbx: PbxService, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The trunk registers from 127.0.0.2: a request to its account from 127.0.0.1 (trusted for
    direct numbers, but not that trunk) is routed by its Request-URI, which is nobody's."""
    await pbx.update_trunks(_registering("127.0.0.2"))
    caller = await run_sipp(
        "trunk_call_to_account_fails_404.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"account": "acct", "from": CUSTOMER, "to": "0201230001",
                   "media_port": free_port()},
    )  # fmt: skip
    assert caller.returncode == 0, caller.errors
    assert "nobody's number" in caplog.text

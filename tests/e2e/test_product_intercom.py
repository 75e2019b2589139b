"""Intercom (PushToTalk, `*55<ext>`) in the running product over SIPp phones: the colleague's
phone gets the INVITE with the auto-answer hint and answers by itself; a colleague who refuses
intercom calls (all, or all but listed colleagues), an unknown or another tenant's extension, and
a profile without PushToTalk are refused with a spoken reason; the REST API refuses bad input by
field. Barge-in pickup (`*33<ext>`): the three hear one another; an exempt user, nobody in a
call, another tenant's extension and a profile without it are refused, spoken.
docs/phone-features.md, "Intercom", "Call handling"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pbx_core import call_control as cc
from pbx_core.features import phrases
from pbx_core.features.call_handling_phrases import Outcome, said
from tests.e2e.test_product_call_handling import PbxEvents, events, finished, phone_call
from tests.e2e.test_product_phone_features import bearer, dial, was_spoken
from tests.e2e.test_product_shared_appearance import offered_port
from tests.e2e.test_product_tenants import ACME_DOMAIN, acme_user, operator_client
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone, free_port, register
from tests.product_harness import ProductThread

ME = "/api/v1/me/intercom"
__all__ = ["events"]  # the fixture, shared with the call-handling tests


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("intercom") / "var", "intercom")
    with operator_client(running.base_url) as operator:
        made = operator.post(
            "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": ACME_DOMAIN}
        )
        assert made.status_code == 201, made.text
        user = operator.post("/api/v1/tenants/acme/users", json=acme_user("1077", ["agent"]))
        assert user.status_code == 201, user.text
    yield running
    running.stop()


async def test_the_colleagues_phone_answers_by_itself(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    callee = await agent_phone(product.sip_port, "1003", "agent_answer_auto.xml", tmp_path)
    caller = await phone_call(product, tmp_path, "1004", "*551003", "ext_call.xml").start()
    await finished(caller, callee)  # the INVITE had answer-after=0 (the scenario checks it)
    assert events.of(cc.CallAnswered, extension="1003")


async def test_refusals_are_spoken(product: ProductThread, tmp_path: Path) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        off = await http.put(ME, json={"accept": False}, headers=await bearer(product, "1003"))
        assert off.json() == {
            "extension": "1003",
            "accept": False,
            "allowed": [],
            "barge_in_exempt": False,
        }
        await dial(product, tmp_path, "1004", "*551003")
        assert was_spoken(product, said(Outcome.INTERCOM_REFUSED, "1003", "nl"))
        # Only 1005 may: 1006 is refused too.
        listed = await http.put(ME, json={"accept": True, "allowed": ["1005"]},
                                headers=await bearer(product, "1006"))  # fmt: skip
        assert listed.status_code == 200, listed.text
        await dial(product, tmp_path, "1004", "*551006")
        assert was_spoken(product, said(Outcome.INTERCOM_REFUSED, "1006", "nl"))
    for unknown in ("1099", "1077", "1004"):  # nobody, acme's, oneself
        await dial(product, tmp_path, "1004", f"*55{unknown}")
        assert was_spoken(product, said(Outcome.NO_SUCH_EXTENSION, unknown, "nl"))
    await dial(product, tmp_path, "1020", "*551003")  # Vergaderzaal: no PushToTalk
    assert was_spoken(product, phrases.not_in_profile("*55", "PushToTalk", "vergaderzaal", "nl"))


async def test_bad_input_is_refused_by_field(product: ProductThread) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        mine = await bearer(product, "1007")
        foreign = await http.put(ME, json={"accept": True, "allowed": ["1077"]}, headers=mine)
        assert foreign.status_code == 404, foreign.text
        assert foreign.json()["detail"]["field"] == "allowed"
        for body in ({"accept": "yes"}, {"accept": True, "allowed": ["x"]}, {"other": 1}):
            assert (await http.put(ME, json=body, headers=mine)).status_code == 422
        by_agent = await http.put("/api/v1/tenants/demo/intercom/1003", json={"accept": True},
                                  headers=mine)  # fmt: skip
        assert by_agent.status_code == 403, by_agent.text
        admin = await bearer(product, "admin")
        other = await http.get("/api/v1/tenants/acme/intercom/1077", headers=admin)
        assert other.status_code == 403, other.text
        unknown = await http.get("/api/v1/tenants/demo/intercom/1099", headers=admin)
        assert unknown.status_code == 404, unknown.text
        seen = await http.get("/api/v1/tenants/demo/intercom/1003", headers=admin)
        assert seen.json() == {
            "extension": "1003",
            "accept": False,
            "allowed": [],
            "barge_in_exempt": False,
        }


async def test_star_33_barges_in_three_ways_and_an_exempt_user_is_refused(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1005 talks with 1008; 1009 dials `*331008` and the three hear one another (RTP). Once
    1008 chooses to be exempt, `*331008` is refused with a spoken reason."""
    caller_rtp, callee_rtp, barger_rtp = (RtpPhone(hz).start() for hz in (500, 1000, 1500))
    port, messages = free_port(), tmp_path / "callee-messages.log"
    assert (await register(product.sip_port, "1008", port, tmp_path)).returncode == 0
    callee = await Sipp(
        "agent_answer_reinvites.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": callee_rtp.port, "ring_ms": 100},
        extra=["-trace_msg", "-message_file", str(messages)],
    ).start()
    caller = phone_call(product, tmp_path, "1005", "1008", "ext_call.xml", 60, hold_ms=14000,
                        media_port=caller_rtp.port)  # fmt: skip
    await caller.start()
    barger: Sipp | None = None
    try:
        await events.wait_for(cc.CallAnswered, extension="1008")
        callee_rtp.peer = ("127.0.0.1", await offered_port(messages))
        await caller_rtp.wait_to_hear(1000, timeout=20)
        barger = phone_call(product, tmp_path, "1009", "*331008", "ext_call.xml", 40,
                            hold_ms=5000, media_port=barger_rtp.port)  # fmt: skip
        await barger.start()
        await barger_rtp.wait_to_hear(500, timeout=20)
        await barger_rtp.wait_to_hear(1000, timeout=10)
        await caller_rtp.wait_to_hear(1500, timeout=10)
        await callee_rtp.wait_to_hear(1500, timeout=10)
        await finished(barger)  # 1009 hung up; the other two talk on
        await caller_rtp.wait_to_hear(1000, timeout=10)
        await finished(caller, callee)
    finally:
        for phone in (caller, callee, barger):
            if phone is not None:
                phone.kill()
        for rtp in (caller_rtp, callee_rtp, barger_rtp):
            await rtp.close()

    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        exempt = await http.put(ME, json={"accept": True, "barge_in_exempt": True},
                                headers=await bearer(product, "1008"))  # fmt: skip
        assert exempt.status_code == 200, exempt.text
    callee = await agent_phone(product.sip_port, "1008", "agent_answer.xml", tmp_path)
    caller = phone_call(product, tmp_path, "1005", "1008", "ext_call.xml", 40, hold_ms=8000)
    await caller.start()
    try:
        await events.wait_for(cc.CallAnswered, extension="1008", after=events.mark() - 1)
        await dial(product, tmp_path, "1009", "*331008")
        assert was_spoken(product, said(Outcome.BARGE_IN_EXEMPT, "1008", "nl"))
        await finished(caller, callee)
    finally:
        caller.kill()
        callee.kill()
    await dial(product, tmp_path, "1009", "*331007")  # 1007 neither rings nor talks
    assert was_spoken(product, said(Outcome.NOTHING_TO_BARGE, "1007", "nl"))
    await dial(product, tmp_path, "1009", "*331077")  # acme's
    assert was_spoken(product, said(Outcome.NO_SUCH_EXTENSION, "1077", "nl"))
    await dial(product, tmp_path, "1020", "*331008")  # Vergaderzaal: not in the profile
    refusal = phrases.not_in_profile("*33", "DirectedCallPickupwithBargein", "vergaderzaal", "nl")
    assert was_spoken(product, refusal)

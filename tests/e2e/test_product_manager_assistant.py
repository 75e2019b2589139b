"""Manager/Assistant in the running product, through the API and real SIPp phones (seed 3.2.2,
docs/manager-assistant.md): the admin makes 1001 a manager with assistant 1002; 1003's call to
1001 rings 1002, not 1001; the assistant puts it through from its console and the manager hears
who it is (the spoken whisper) before the caller; both see the filtered call; a colleague who is
no assistant cannot touch it; the assistant diverts a ringing call into the manager's voicemail;
the manager switches filtering off with `*47` and is rung directly. Another tenant's user is no
assistant (404) and another tenant's admin changes nothing (403). With two assistants both
ring; a colleague picking up one of them (`*97`) stops the other's ringing too."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbx_core import call_control as cc
from pbx_core.features import manager_assistant_phrases as say
from pbx_core.voicemail.greetings import BEEP_HERTZ
from tests.e2e.test_product_call_handling import PbxEvents, events, finished, phone_call
from tests.e2e.test_product_hoteling import another_tenant
from tests.e2e.test_product_phone_features import bearer, dial, was_spoken
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone
from tests.product_harness import ProductThread

MANAGERS = "/api/v1/tenants/demo/managers"
ME = "/api/v1/me/manager-assistant"
MANAGER, ASSISTANT, CALLER, COLLEAGUE = "1001", "1002", "1003", "1004"
CALLER_HZ, MANAGER_HZ = 500, 1000
__all__ = ["events"]  # the fixture, shared with the call-handling tests


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("manager") / "var", "managerassist")
    yield running
    running.stop()


async def _caller(product: ProductThread, tmp_path: Path, rtp: RtpPhone, hold_ms: int) -> Sipp:
    """1003 calls the manager, talks hold_ms (its RTP phone sends its tone), hangs up."""
    return await Sipp(
        "ext_call.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": CALLER, "to": MANAGER, "media_port": rtp.port, "hold_ms": hold_ms},
        extra=["-au", CALLER, "-ap", f"pw{CALLER}"],
    ).start()


async def _pair(http: httpx.AsyncClient, product: ProductThread) -> httpx.Response:
    """The admin makes 1001 a manager with assistant 1002, filtering all calls."""
    made = await http.put(f"{MANAGERS}/{MANAGER}", headers=await bearer(product, "admin"),
                          json={"assistants": [ASSISTANT], "filtering": True})  # fmt: skip
    assert made.status_code == 200, made.text
    return made


async def _filtered(
    http: httpx.AsyncClient, user: str, product: ProductThread, **match: Any
) -> dict[str, Any]:
    """The newest filtered call `user` sees once it matches `match` (polled: the PBX's events
    reach the list within milliseconds, a loaded machine may take longer)."""
    headers = await bearer(product, user)
    for _ in range(150):
        reply = await http.get(f"{ME}/filtered-calls", headers=headers)
        assert reply.status_code == 200, reply.text
        calls: list[dict[str, Any]] = reply.json()["calls"]
        if calls and all(calls[0][k] == v for k, v in match.items()):
            return calls[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no filtered call {match} for {user}: {calls}")


async def test_the_assistant_takes_and_puts_through_the_managers_call(
    product: ProductThread, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        made = await _pair(http, product)
        assert made.json()["assistants"] == [
            {"extension": ASSISTANT, "name": made.json()["assistants"][0]["name"],
             "opted_in": True}
        ]  # fmt: skip
        mine = (await http.get(ME, headers=await bearer(product, ASSISTANT))).json()
        assert mine["manager"] is None
        assert [m["extension"] for m in mine["assists"]] == [MANAGER]

        caller_rtp, manager_rtp = RtpPhone(CALLER_HZ).start(), RtpPhone(MANAGER_HZ).start()
        assistant = await agent_phone(product.sip_port, ASSISTANT, "agent_answer.xml", tmp_path,
                                      ring_ms=100)  # fmt: skip
        manager = await agent_phone(product.sip_port, MANAGER, "agent_answer.xml", tmp_path,
                                    ring_ms=100, media_port=manager_rtp.port)  # fmt: skip
        caller = await _caller(product, tmp_path, caller_rtp, 12000)
        try:
            taken = await _filtered(http, ASSISTANT, product, outcome="answered")
            assert (taken["manager"], taken["caller"]) == (MANAGER, CALLER)
            # A colleague who is no assistant of 1001 cannot put it through.
            stranger = await http.post(f"{ME}/filtered-calls/{taken['call_id']}/put-through",
                                       headers=await bearer(product, COLLEAGUE))  # fmt: skip
            assert stranger.status_code == 404, stranger.text
            through = await http.post(f"{ME}/filtered-calls/{taken['call_id']}/put-through",
                                      headers=await bearer(product, ASSISTANT))  # fmt: skip
            assert through.status_code == 202, through.text
            await manager_rtp.wait_to_hear(CALLER_HZ, timeout=20)
            await caller_rtp.wait_to_hear(MANAGER_HZ, timeout=10)
            assert was_spoken(product, say.whisper(CALLER, "", "nl")), "no whisper was spoken"
            # The manager sees which calls were filtered, and what became of them.
            seen = await _filtered(http, MANAGER, product, outcome="put_through")
            assert seen["call_id"] == taken["call_id"]
            assert (await assistant.wait()).returncode == 0, "the assistant's phone gets a BYE"
        finally:
            for sipp in (assistant, manager, caller):
                sipp.kill()
            await caller_rtp.close()
            await manager_rtp.close()


async def test_divert_to_voicemail_and_filtering_off_by_code(
    product: ProductThread, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        await _pair(http, product)
        caller_rtp = RtpPhone(CALLER_HZ).start()
        assistant = await agent_phone(product.sip_port, ASSISTANT, "agent_no_answer.xml",
                                      tmp_path)  # fmt: skip
        caller = await _caller(product, tmp_path, caller_rtp, 10000)
        try:
            ringing = await _filtered(http, ASSISTANT, product, outcome="ringing", ended=False)
            diverted = await http.post(f"{ME}/filtered-calls/{ringing['call_id']}/divert",
                                       json={"to": "voicemail"},
                                       headers=await bearer(product, ASSISTANT))  # fmt: skip
            assert diverted.status_code == 202, diverted.text
            await caller_rtp.wait_to_hear(BEEP_HERTZ, timeout=15)  # the manager's box
            assert (await caller.wait()).returncode == 0
            done = await _filtered(http, MANAGER, product, outcome="diverted", ended=True)
            assert done["diverted_to"] == MANAGER
        finally:
            assistant.kill()
            caller.kill()
            await caller_rtp.close()
        boxed: list[dict[str, Any]] = []
        for _ in range(100):  # the message's row is written just after the BYE
            reply = await http.get("/api/v1/voicemail", headers=await bearer(product, MANAGER))
            assert reply.status_code == 200, reply.text
            if boxed := reply.json():
                break
            await asyncio.sleep(0.1)
        assert [m["caller"] for m in boxed] == [CALLER], "the message is in the manager's box"

        # The manager switches filtering off on the phone; the next call rings the manager.
        await dial(product, tmp_path, MANAGER, "*47")
        assert was_spoken(product, say.filtering(False, MANAGER, True, "nl"))
        mine = (await http.get(ME, headers=await bearer(product, MANAGER))).json()
        assert mine["manager"]["filtering"] is False
        manager = await agent_phone(product.sip_port, MANAGER, "agent_answer.xml", tmp_path)
        caller_rtp = RtpPhone(CALLER_HZ).start()
        caller = await _caller(product, tmp_path, caller_rtp, 500)
        try:
            assert (await manager.wait()).returncode == 0, "the manager's own phone rings"
            assert (await caller.wait()).returncode == 0
        finally:
            manager.kill()
            caller.kill()
            await caller_rtp.close()


async def test_nothing_across_tenants(product: ProductThread) -> None:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        _, gamma = await another_tenant(product, http, "gamma")
        admin = await bearer(product, "admin")
        # gamma's 2001 is no user of demo: no assistant here, refused by name.
        foreign = await http.put(f"{MANAGERS}/{MANAGER}", headers=admin,
                                 json={"assistants": ["2001"]})  # fmt: skip
        assert foreign.status_code == 404, foreign.text
        assert foreign.json()["detail"]["field"] == "assistants"
        own = await http.put(f"{MANAGERS}/{MANAGER}", headers=admin,
                             json={"assistants": [MANAGER]})  # fmt: skip
        assert own.status_code == 422, own.text
        assert (await http.get(MANAGERS, headers=gamma)).status_code == 403
        refused = await http.put(f"{MANAGERS}/{MANAGER}", headers=gamma,
                                 json={"assistants": [ASSISTANT]})  # fmt: skip
        assert refused.status_code == 403
        mine = await http.get("/api/v1/tenants/gamma/managers", headers=gamma)
        assert mine.status_code == 200 and mine.json() == {"managers": []}
        # gamma's admin (extension 2001) is nobody's assistant in demo, and sees no demo call.
        calls = await http.get(f"{ME}/filtered-calls", headers=gamma)
        assert calls.status_code == 200 and calls.json() == {"calls": []}
        patched = await http.patch(f"{ME}/managers/{MANAGER}", headers=gamma,
                                   json={"filtering": False})  # fmt: skip
        assert patched.status_code == 404, patched.text


async def test_a_pickup_of_one_assistant_stops_the_others_ringing(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        both = {"assistants": [ASSISTANT, "1005"], "filtering": True}
        made = await http.put(
            f"{MANAGERS}/{MANAGER}", headers=await bearer(product, "admin"), json=both
        )
        assert made.status_code == 200, made.text
    start = events.mark()
    phones = [
        await agent_phone(product.sip_port, a, "receptionist_phone.xml", tmp_path)
        for a in (ASSISTANT, "1005")
    ]
    caller = phone_call(product, tmp_path, CALLER, MANAGER, "ext_call_remote_bye.xml")
    picking: Sipp | None = None
    try:
        await caller.start()
        await events.wait_for(cc.CallRinging, after=start, extension="1005")
        await events.wait_for(cc.CallRinging, after=start, extension=ASSISTANT)
        picking = await phone_call(product, tmp_path, COLLEAGUE, f"*97{ASSISTANT}",
                                   "ext_call.xml").start()  # fmt: skip
        picked = await events.wait_for(cc.CallPickedUp, after=start, extension=COLLEAGUE)
        assert picked.ringing_extension == ASSISTANT
        stopped = await events.wait_for(cc.OfferFailed, after=start, extension="1005")
        assert stopped.failure is cc.OfferFailure.CANCELLED  # not its ring timeout
        await finished(picking, caller, *phones)  # the picker talks, then hangs up
        assert MANAGER not in {e.extension for e in events.of(cc.CallRinging)}
    finally:
        for phone in (caller, picking, *phones):
            if phone is not None:
                phone.kill()

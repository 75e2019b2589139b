"""The running product with a real softphone (baresip, tests/e2e/baresip_phone.py) instead of
SIPp: a colleague's call reaches baresip and both hear each other (RTP both ways), then baresip
blind-transfers the caller (REFER) to a third phone, who talks with the caller; a missed call on
do-not-disturb lands in the voicemail box and baresip's message-summary subscription gets the
NOTIFY that a message waits (RFC 3842). baresip 1.0 has no attended transfer (Replaces): that is
the SIPp scenario's (test_product_call_handling.py)."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pbx_core import call_control as cc
from tests.e2e.baresip_phone import Baresip
from tests.e2e.test_product import token
from tests.e2e.test_product_call_handling import PbxEvents, finished, phone_call
from tests.e2e.test_product_phone_features import set_services
from tests.e2e.test_product_voicemail import leave_message, messages
from tests.pbx_core.rtp_phone import FRAME, RtpPhone, level
from tests.pbx_core.support import agent_phone, samples_of
from tests.product_harness import ProductThread

BARESIP_HZ, CALLER_HZ, COLLEAGUE_HZ = 1000, 600, 1400


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("baresip") / "var", "baresip")
    yield running
    running.stop()


@pytest.fixture
def events(product: ProductThread) -> Iterator[PbxEvents]:
    collected = PbxEvents(product)
    yield collected
    collected.stop()


def share_heard(path: Path, frequency: float) -> float:
    """Share of the 20 ms frames of a mono 16-bit WAV in which `frequency` is clearly there."""
    with wave.open(str(path)) as heard:
        samples = samples_of(heard.readframes(heard.getnframes()))
    frames = [samples[i : i + FRAME] for i in range(0, len(samples) - FRAME + 1, FRAME)]
    return sum(level(f, frequency) > 1500 for f in frames) / max(len(frames), 1)


async def test_baresip_talks_with_a_sipp_phone_then_blind_transfers_the_caller(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    phone = await Baresip(tmp_path / "baresip", "1009", product.sip_port, BARESIP_HZ).start()
    caller_audio, colleague_audio = RtpPhone(CALLER_HZ).start(), RtpPhone(COLLEAGUE_HZ).start()
    colleague = await agent_phone(
        product.sip_port, "1002", "agent_answer.xml", tmp_path, media_port=colleague_audio.port
    )
    caller = phone_call(product, tmp_path, "1005", "1009", "ext_call.xml", 60, hold_ms=12000,
                        media_port=caller_audio.port)  # fmt: skip
    try:
        await phone.registered()
        await caller.start()
        await phone.event("CALL_ESTABLISHED")  # answered by itself
        await caller_audio.wait_to_hear(BARESIP_HZ, timeout=10)
        answered = await events.wait_for(cc.CallAnswered, extension="1009")
        reply = await phone.command("transfer", "1002")
        assert reply.get("ok"), reply
        moved = await events.wait_for(cc.CallTransferred, call_id=answered.call_id)
        assert moved.target == "1002"
        await phone.event("CALL_CLOSED")
        await caller_audio.wait_to_hear(COLLEAGUE_HZ, timeout=10)
        await colleague_audio.wait_to_hear(CALLER_HZ, timeout=10)
        await finished(caller, colleague)  # 1005 hung up on 1002, whose phone got the BYE
    finally:
        caller.kill()
        colleague.kill()
        await phone.stop()
        await caller_audio.close()
        await colleague_audio.close()
    assert share_heard(phone.heard, CALLER_HZ) > 0.3, "the caller's audio did not reach baresip"


async def test_a_message_left_for_baresip_lights_its_message_waiting_indicator(
    product: ProductThread, tmp_path: Path
) -> None:
    phone = await Baresip(tmp_path / "baresip", "1009", product.sip_port, BARESIP_HZ).start()
    try:
        await phone.registered()
        # The NOTIFY answering the SUBSCRIBE, as baresip's menu prints it.
        printed = await phone.printed("----- MWI for")
        assert "Messages-Waiting: no" in printed.split("----- MWI for")[1]
        mark = len(phone.events)
        assert (await set_services(product, "1009", do_not_disturb=True)).is_success
        # DND: straight into voicemail, whose busy greeting is the longer one.
        await leave_message(product, tmp_path, "1009", hold_ms=14000)
        owner = await token(product.base_url, "1009", "pw1009")
        async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
            for _ in range(100):  # the row is written just after the BYE
                if listed := await messages(http, owner):
                    break
                await asyncio.sleep(0.1)
        assert len(listed) == 1, listed
        waiting = await phone.event("MWI_NOTIFY", after=mark)
        assert "Messages-Waiting: yes" in str(waiting.get("param")), waiting
        assert "Voice-Message: 1/0" in str(waiting.get("param")), waiting
    finally:
        await set_services(product, "1009", do_not_disturb=False)
        await phone.stop()

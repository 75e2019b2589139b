"""Automatic callback (camp on busy) in the running product, over SIPp phones and real RTP: 1004
calls 1003, busy with 1005; the PBX offers the callback, 1004 presses 1 (RFC 4733); once 1003
hangs up, the PBX rings 1004 with the callback's Alert-Info, then 1003, and the two hear each
other. Any other key is the busy treatment (voicemail); a profile without AutomaticCallback is
never offered it. docs/phone-features.md, "Automatic callback"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.media.ng_client import NgClient
from pbx_core.sip.calls.callback import (
    AutomaticCallback,
    cancelled_text,
    not_included,
    offer_text,
)
from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product_call_handling import PbxEvents, finished, phone_call
from tests.e2e.test_product_phone_features import dial, set_services, was_spoken
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone, free_port, register
from tests.product_harness import ProductThread

CALLER_HZ, COLLEAGUE_HZ = 600.0, 1100.0


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("callback") / "var", "callback")
    yield running
    running.stop()


@pytest.fixture
def events(product: ProductThread) -> Iterator[PbxEvents]:
    collected = PbxEvents(product)
    yield collected
    collected.stop()


def callbacks(product: ProductThread) -> AutomaticCallback:
    pbx = product.handle.pbx
    assert pbx is not None and pbx._calls is not None
    return pbx._calls._ctx.callback


async def busy_with_a_call(
    product: ProductThread, tmp_path: Path, events: PbxEvents, media_port: int, hold_ms: int
) -> tuple[Sipp, Sipp]:
    """1003's phone (answering two calls, its audio at `media_port`) talks to 1005 for
    `hold_ms`; call waiting off, so a further call finds 1003 busy."""
    assert (await set_services(product, "1003", call_waiting=False)).is_success
    port = free_port()
    registered = await register(product.sip_port, "1003", port, tmp_path)
    assert registered.returncode == 0, registered.errors
    colleague = Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": media_port, "ring_ms": 200},
        calls=2,
        timeout_s=90,
    )
    await colleague.start()
    talking = phone_call(product, tmp_path, "1005", "1003", "ext_call.xml", 60, hold_ms=hold_ms)
    await talking.start()
    await events.wait_for(cc.CallAnswered, extension="1003")
    return colleague, talking


def rtpengine_ports(product: ProductThread, call_id: str) -> dict[int, int]:
    """A phone's media port -> the rtpengine port that phone sends to, in `call_id`."""
    config = product.handle.pbx.config  # type: ignore[union-attr]
    assert config.rtpengine is not None
    client = NgClient(config.rtpengine.host, config.rtpengine.ng_port)
    try:
        tags = client.query(call_id)["tags"]
    finally:
        client.close()
    return {
        stream["endpoint"]["port"]: stream["local port"]
        for tag in tags.values()
        for media in tag.get("medias", [])
        for stream in media.get("streams", [])
    }


async def test_the_caller_camps_on_a_busy_colleague_and_both_are_connected_when_it_is_free(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    caller_audio, colleague_audio = RtpPhone(CALLER_HZ).start(), RtpPhone(COLLEAGUE_HZ).start()
    colleague, talking = await busy_with_a_call(
        product, tmp_path, events, colleague_audio.port, hold_ms=8000
    )
    caller_phone = await agent_phone(
        product.sip_port, "1004", "callback_answer_alert_info.xml", tmp_path, 90,
        media_port=caller_audio.port, talk_ms=6000,
    )  # fmt: skip
    try:
        asking = KeyingCall(product.sip_port, tmp_path, "1004", "1003")
        await asking.press("1")
        await asking.hung_up_by_pbx()  # "you will be called back", then the PBX's BYE
        assert was_spoken(product, offer_text("1003", "nl"))
        assert ("demo", "1004", "1003") in callbacks(product).camps
        await finished(talking)  # 1005 hangs up: 1003 is free
        agent = await events.wait_for(cc.CallAnswered, timeout=30, extension="1004")
        assert agent.call_id.startswith("callback-")
        await events.wait_for(cc.CallAnswered, call_id=agent.call_id, leg_id="destination")
        ports = rtpengine_ports(product, agent.call_id)
        caller_audio.peer = ("127.0.0.1", ports[caller_audio.port])
        colleague_audio.peer = ("127.0.0.1", ports[colleague_audio.port])
        await caller_audio.wait_to_hear(COLLEAGUE_HZ, timeout=10)
        await colleague_audio.wait_to_hear(CALLER_HZ, timeout=10)
        await finished(caller_phone, colleague)  # 1004 hung up; 1003 got the BYE
        assert not callbacks(product).camps
    finally:
        for sipp in (colleague, talking, caller_phone):
            sipp.kill()
        await caller_audio.close()
        await colleague_audio.close()
        await set_services(product, "1003", call_waiting=True)


async def test_another_key_is_the_busy_treatment_and_a_profile_without_it_is_not_offered(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    colleague, talking = await busy_with_a_call(product, tmp_path, events, free_port(), 12000)
    try:
        start = events.mark()
        declining = KeyingCall(product.sip_port, tmp_path, "1006", "1003", hang_up_after_ms=6000)
        await declining.press("2")
        await declining.hung_up_by_pbx()  # voicemail took the call; 1006 hung up in it
        assert not [c for c in callbacks(product).camps if c[1] == "1006"]
        refused = events.of(cc.OfferFailed, extension="1003", failure=cc.OfferFailure.BUSY)
        assert [e for e in refused if events.seen.index(e) >= start]
        # Vergaderzaal (1020) has no AutomaticCallback: busy treatment at once, no offer.
        meeting = KeyingCall(product.sip_port, tmp_path, "1020", "1003", hang_up_after_ms=3000)
        await meeting.press("1")
        await meeting.hung_up_by_pbx()
        assert not [c for c in callbacks(product).camps if c[1] == "1020"]
        await finished(talking)
    finally:
        colleague.kill()
        talking.kill()
        await set_services(product, "1003", call_waiting=True)


async def test_hash_8_cancels_the_users_camps_and_is_refused_without_the_feature(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    colleague, talking = await busy_with_a_call(product, tmp_path, events, free_port(), 12000)
    try:
        asking = KeyingCall(product.sip_port, tmp_path, "1007", "1003")
        await asking.press("1")
        await asking.hung_up_by_pbx()
        assert ("demo", "1007", "1003") in callbacks(product).camps
        await dial(product, tmp_path, "1007", "%238")  # `#8`
        assert was_spoken(product, cancelled_text(1, "nl"))
        assert not [c for c in callbacks(product).camps if c[1] == "1007"]
        await dial(product, tmp_path, "1020", "%238")  # Vergaderzaal
        assert was_spoken(product, not_included("vergaderzaal", "nl"))
        await finished(talking)
    finally:
        colleague.kill()
        talking.kill()
        await set_services(product, "1003", call_waiting=True)

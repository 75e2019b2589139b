"""Several devices per user (SharedCallAppearance) in the running product, over SIPp phones:
two phones registered as 1003 both ring, one answers and talks with the caller (RTP both ways),
the other is cancelled with "Call completed elsewhere"; when every device is busy the call goes
on as for one phone (busy: voicemail); an 11th device is refused; a profile without the feature
(Vergaderzaal) keeps one device, a new registration replacing the old; unregistering one device
leaves the others; a gone device drops out, a device silent at first still rings; a baresip
softphone and a SIPp desk phone of one user: the softphone answers. docs/phone-features.md,
"Several devices per user"."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.location import MAX_DEVICES
from pbx_core.sip.calls.shared_appearance import SILENT_DEVICE_SECONDS
from tests.components import require_executable
from tests.e2e.test_product_call_handling import PbxEvents, events, finished, phone_call
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, agent_phone, free_port, register
from tests.pbx_core.test_softphone import EXTENSION as SOFTPHONE
from tests.pbx_core.test_softphone import _baresip_config, _tone
from tests.product_harness import ProductThread

CALLER_HZ, DESK_HZ = 500, 1000
"""The tones of the callers' and answering phones (baresip's file is a 1 kHz sine too)."""
__all__ = ["events"]  # the fixture, shared with the call-handling tests


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("sca") / "var", "sharedappearance")
    yield running
    running.stop()


def devices(product: ProductThread, extension: str) -> list[int]:
    """The contact ports of the extension's registered devices, newest first."""
    pbx = product.handle.pbx
    assert pbx is not None
    return [binding.port for binding in pbx.locations.devices("demo", extension)]


async def offered_port(messages: Path) -> int:
    """The audio port of the SDP in the first INVITE a SIPp phone logged (`-message_file`)."""
    for _ in range(200):
        found = re.search(r"m=audio (\d+)", messages.read_text()) if messages.exists() else None
        if found is not None:
            return int(found.group(1))
        await asyncio.sleep(0.05)
    raise AssertionError(f"no INVITE with SDP in {messages}")


async def test_both_devices_ring_the_first_to_answer_takes_the_call(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    caller_rtp, desk_rtp = RtpPhone(CALLER_HZ).start(), RtpPhone(DESK_HZ).start()
    soft = await agent_phone(product.sip_port, "1003", "sca_cancelled_elsewhere.xml", tmp_path)
    port, messages = free_port(), tmp_path / "desk-messages.log"
    registered = await register(product.sip_port, "1003", port, tmp_path)
    assert registered.returncode == 0, registered.errors
    desk = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": desk_rtp.port, "ring_ms": 1500},
        extra=["-trace_msg", "-message_file", str(messages)],
    ).start()
    assert len(devices(product, "1003")) == 2
    caller = phone_call(product, tmp_path, "1005", "1003", "ext_call.xml", 40,
                        hold_ms=6000, media_port=caller_rtp.port)  # fmt: skip
    start = events.mark()
    await caller.start()
    try:
        await finished(soft)  # rang, then CANCEL with the Reason (checked by the scenario)
        # Nobody speaks first on a plain call: the desk phone starts, toward the media address
        # the INVITE offered it (rtpengine), and each side then answers where audio came from.
        desk_rtp.peer = ("127.0.0.1", await offered_port(messages))
        await desk_rtp.wait_to_hear(CALLER_HZ, timeout=20)
        await caller_rtp.wait_to_hear(DESK_HZ, timeout=10)
        await finished(caller, desk)
    finally:
        for phone in (soft, desk, caller):
            phone.kill()
        await caller_rtp.close()
        await desk_rtp.close()
    # One leg to the user, answered once, never a failed offer for the cancelled device.
    answered = events.of(cc.CallAnswered, extension="1003")
    assert len([e for e in events.seen[start:] if e in answered]) == 1
    assert not [e for e in events.seen[start:] if isinstance(e, cc.OfferFailed)]


async def test_a_device_silent_at_first_still_rings_and_answers(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1008's desk phone says nothing at all for longer than `SILENT_DEVICE_SECONDS` (a slow
    link, a loaded phone), then rings and answers while its softphone rings on: it takes the
    call, and the softphone is cancelled "elsewhere". Silence counts as gone only once no
    other device is left ringing."""
    soft = await agent_phone(product.sip_port, "1008", "sca_cancelled_elsewhere.xml", tmp_path)
    late = await agent_phone(
        product.sip_port,
        "1008",
        "sca_late_answer.xml",
        tmp_path,
        silent_ms=int((SILENT_DEVICE_SECONDS + 1.5) * 1000),
        ring_ms=300,
    )
    assert len(devices(product, "1008")) == 2
    start = events.mark()
    caller = await phone_call(product, tmp_path, "1005", "1008", "ext_call.xml", 40).start()
    try:
        await finished(soft, late, caller)
    finally:
        for phone in (soft, late, caller):
            phone.kill()
    answered = events.of(cc.CallAnswered, extension="1008")
    assert len([e for e in events.seen[start:] if e in answered]) == 1
    assert not [e for e in events.seen[start:] if isinstance(e, cc.OfferFailed)]


async def test_a_device_that_said_nothing_yet_is_still_cancelled_elsewhere(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1010's desk phone answers while its other phone has not replied at all yet: that phone's
    CANCEL waits for its first provisional reply (RFC 3261 9.1) and still carries the Reason
    (sippy drops an event's headers on that path: `shared_appearance._cancel`)."""
    slow = await agent_phone(
        product.sip_port, "1010", "sca_late_cancelled_elsewhere.xml", tmp_path, silent_ms=2000
    )
    desk = await agent_phone(product.sip_port, "1010", "agent_answer.xml", tmp_path, ring_ms=100)
    assert len(devices(product, "1010")) == 2
    caller = await phone_call(product, tmp_path, "1005", "1010", "ext_call.xml", 40).start()
    try:
        await finished(slow, desk, caller)  # the slow phone's scenario checks the Reason
    finally:
        for phone in (slow, desk, caller):
            phone.kill()
    assert events.of(cc.CallAnswered, extension="1010")


async def test_all_devices_busy_is_busy_once_and_voicemail_answers(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    first = await agent_phone(product.sip_port, "1006", "agent_busy.xml", tmp_path)
    second = await agent_phone(product.sip_port, "1006", "agent_busy.xml", tmp_path)
    start = events.mark()
    caller = await phone_call(product, tmp_path, "1005", "1006", "ext_call.xml").start()
    try:
        await finished(caller, first, second)  # both said 486: voicemail answered the caller
    finally:
        for phone in (first, second, caller):
            phone.kill()
    failed = [e for e in events.seen[start:] if isinstance(e, cc.OfferFailed)]
    assert [(e.extension, e.failure) for e in failed] == [("1006", cc.OfferFailure.BUSY)]


async def test_an_eleventh_device_is_refused_and_one_leaving_keeps_the_others(
    product: ProductThread, tmp_path: Path
) -> None:
    ports = [free_port() for _ in range(MAX_DEVICES)]
    for port in ports:
        registered = await register(product.sip_port, "1004", port, tmp_path)
        assert registered.returncode == 0, registered.errors
    assert sorted(devices(product, "1004")) == sorted(ports)
    # register_refused.xml with the right password: the 403 is the device limit's.
    refused = await register(product.sip_port, "1004", free_port(), tmp_path, password="pw1004")
    assert refused.returncode == 0, refused.errors
    assert sorted(devices(product, "1004")) == sorted(ports)
    # A device registering again is no new device.
    again = await register(product.sip_port, "1004", ports[0], tmp_path)
    assert again.returncode == 0, again.errors
    assert devices(product, "1004")[0] == ports[0]
    gone = await Sipp(
        "register_expires_0.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"contact_port": ports[1]},
        extra=["-s", "1004", "-au", "1004", "-ap", "pw1004"],
    ).start()
    assert (await gone.wait(timeout=30)).returncode == 0
    assert sorted(devices(product, "1004")) == sorted(ports[:1] + ports[2:])


async def test_without_shared_call_appearance_a_new_device_replaces_the_old(
    product: ProductThread, tmp_path: Path
) -> None:
    """1020 is a Vergaderzaal phone: its profile has no SharedCallAppearance."""
    old, new = free_port(), free_port()
    for port in (old, new):
        registered = await register(product.sip_port, "1020", port, tmp_path)
        assert registered.returncode == 0, registered.errors
    assert devices(product, "1020") == [new]


async def test_a_device_that_is_gone_drops_out_and_the_other_decides(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1007's softphone was closed without unregistering (nothing listens at its port); its desk
    phone is busy: the call is busy (voicemail), not left ringing on the silent device."""
    gone = await register(product.sip_port, "1007", free_port(), tmp_path)
    assert gone.returncode == 0, gone.errors
    desk = await agent_phone(product.sip_port, "1007", "agent_busy.xml", tmp_path)
    start = events.mark()
    caller = await phone_call(product, tmp_path, "1005", "1007", "ext_call.xml").start()
    try:
        await finished(caller, desk)
    finally:
        caller.kill()
        desk.kill()
    failed = [e for e in events.seen[start:] if isinstance(e, cc.OfferFailed)]
    assert [(e.extension, e.failure) for e in failed] == [("1007", cc.OfferFailure.BUSY)]


async def test_a_softphone_and_a_desk_phone_the_softphone_answers(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    """1009's desk phone (SIPp) and its softphone (baresip, auto-answer, "speaking" a 1 kHz
    tone) ring together; baresip answers, the desk phone is cancelled "elsewhere", and the
    caller hears the softphone."""
    require_executable("baresip")
    desk = await agent_phone(product.sip_port, SOFTPHONE, "sca_cancelled_elsewhere.xml", tmp_path)
    _baresip_config(tmp_path / "baresip", product.sip_port, _tone(tmp_path / "tone.wav"))
    log = tmp_path / "baresip.log"
    soft = subprocess.Popen(
        ["baresip", "-f", str(tmp_path / "baresip")],
        stdin=subprocess.DEVNULL,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    caller_rtp = RtpPhone(CALLER_HZ).start()
    try:
        async with asyncio.timeout(30):
            while len(devices(product, SOFTPHONE)) < 2:
                assert soft.poll() is None, log.read_text(errors="replace")
                await asyncio.sleep(0.1)
        caller = phone_call(product, tmp_path, "1005", SOFTPHONE, "ext_call.xml", 30,
                            hold_ms=4000, media_port=caller_rtp.port)  # fmt: skip
        await caller.start()
        try:
            await finished(desk)  # cancelled, with the Reason
            await caller_rtp.wait_to_hear(DESK_HZ, timeout=20)  # baresip's tone is 1 kHz too
            await finished(caller)
        finally:
            caller.kill()
    finally:
        desk.kill()
        soft.terminate()
        soft.wait(timeout=10)
        await caller_rtp.close()
    assert events.of(cc.CallAnswered, extension=SOFTPHONE)

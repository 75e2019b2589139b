"""Leaving a message: an extension call nobody answers goes to the callee's voicemail, with a
greeting and a beep, the caller's audio recorded (real SIPp call, rtpengine, RTP tone)."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.service import PbxService
from pbx_core.voicemail.deposit import DepositedMessage, Mailbox, VoicemailSettings
from pbx_core.voicemail.greetings import BEEP_HERTZ
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.rtp_phone import FRAME, RtpPhone, level
from tests.pbx_core.support import (
    EventLog,
    SippResult,
    agent_phone,
    free_port,
    free_sip_port,
    run_sipp,
    samples_of,
)
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets

CALLER_HZ = 700
NO_VOICEMAIL = "1010"


class Deposits:
    """The PBX's `on_message` sink (called in the SIP thread), awaitable from the test."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[DepositedMessage] = asyncio.Queue()

    def __call__(self, message: DepositedMessage) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, message)


@pytest.fixture
async def deposits() -> Deposits:
    return Deposits()


def voicemail_pbx_config(
    redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess
) -> PbxConfig:
    """A PBX with rtpengine (prompts, DTMF) whose extension calls ring 2 s before voicemail."""
    return PbxConfig(
        sip_port=free_sip_port(),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
        prompts_dir=prompts_dir,
        dtmf_listen_port=rtpengine.dtmf_log_port,
        extension_ring_timeout=2.0,
    )


@pytest.fixture
async def vm_pbx(
    redis_prefix: str,
    prompts_dir: Path,
    rtpengine: RtpengineProcess,
    tmp_path: Path,
    deposits: Deposits,
) -> AsyncIterator[PbxService]:
    config = voicemail_pbx_config(redis_prefix, prompts_dir, rtpengine)
    settings = VoicemailSettings(
        directory=tmp_path / "voicemail",
        on_message=deposits,
        mailbox=lambda _tenant, ext: None if ext == NO_VOICEMAIL else Mailbox("en"),
        max_seconds=20,
    )
    service = PbxService(config, directory_for_tests(), voicemail=settings)
    await service.start()
    yield service
    await service.stop()


def call(
    pbx: PbxService, tmp_path: Path, scenario: str, to: str, media_port: int, **more: int
) -> asyncio.Task[SippResult]:
    return asyncio.create_task(
        run_sipp(
            scenario,
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": "1001", "to": to, "media_port": media_port} | more,
            extra=["-au", "1001", "-ap", "pw1001"],
        )
    )


def wav_samples(path: Path) -> list[int]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        return samples_of(wav.readframes(wav.getnframes()))


def assert_left_by_caller(message: DepositedMessage, extension: str, beep_at: float) -> None:
    """1001's message in `extension`'s box, recorded from the beep to the BYE (just now): the
    caller's tone, not the beep."""
    hung_up_at = asyncio.get_running_loop().time()
    assert (message.tenant, message.extension, message.caller) == ("demo", extension, "1001")
    # Recorded from the beep to the BYE: give or take the packets in flight.
    assert 1.0 < message.duration_seconds <= hung_up_at - beep_at + 0.5
    samples = wav_samples(message.path)
    frames = [samples[i : i + FRAME] for i in range(0, len(samples) - FRAME, FRAME)]
    assert sum(level(f, CALLER_HZ) > 1500 for f in frames) > 0.8 * len(frames)
    assert not any(level(f, BEEP_HERTZ) > 1500 for f in frames), "the beep is in the message"


async def test_a_caller_to_an_unregistered_phone_leaves_a_message(
    vm_pbx: PbxService, deposits: Deposits, tmp_path: Path
) -> None:
    events = EventLog(vm_pbx.subscribe())
    phone = RtpPhone(CALLER_HZ).start()
    caller = call(vm_pbx, tmp_path, "ext_call.xml", "1003", phone.port, hold_ms=9000)
    try:
        await events.next_of(cc.OfferFailed, failure=cc.OfferFailure.NOT_REGISTERED)
        await phone.wait_to_hear(BEEP_HERTZ, timeout=10)  # the greeting ends with the beep
        beep_at = asyncio.get_running_loop().time()
        assert (await caller).returncode == 0
        message = await asyncio.wait_for(deposits.queue.get(), 5)
    finally:
        await phone.close()
    assert_left_by_caller(message, "1003", beep_at)
    assert message.path.parent == tmp_path / "voicemail" / "boxes" / "demo" / "1003"


async def test_hash_ends_the_message_and_the_pbx_hangs_up(
    vm_pbx: PbxService, deposits: Deposits, tmp_path: Path
) -> None:
    phone = RtpPhone(CALLER_HZ).start()
    caller = call(vm_pbx, tmp_path, "ext_call_remote_bye.xml", "1004", phone.port)
    try:
        await phone.wait_to_hear(BEEP_HERTZ, timeout=10)
        await asyncio.sleep(1.5)
        assert phone.peer is not None
        for packet in telephone_event_packets(11, 30000, 800000, 0xBEEF):  # "#"
            phone.sock.sendto(packet, phone.peer)
            await asyncio.sleep(0.02)
        assert (await caller).returncode == 0  # the PBX sent BYE
        message = await asyncio.wait_for(deposits.queue.get(), 5)
    finally:
        await phone.close()
    assert message.extension == "1004" and message.duration_seconds > 1.0


async def test_without_voicemail_or_with_a_hang_up_at_the_greeting_nothing_is_kept(
    vm_pbx: PbxService, deposits: Deposits, tmp_path: Path
) -> None:
    refused = call(vm_pbx, tmp_path, "ext_call_fails_480.xml", NO_VOICEMAIL, free_port())
    assert (await refused).returncode == 0
    phone = RtpPhone(CALLER_HZ).start()
    try:
        short = call(vm_pbx, tmp_path, "ext_call.xml", "1005", phone.port, hold_ms=1000)
        assert (await short).returncode == 0
    finally:
        await phone.close()
    await asyncio.sleep(0.5)
    assert deposits.queue.empty()
    box = tmp_path / "voicemail" / "boxes" / "demo" / "1005"
    assert not box.exists() or not list(box.glob("*.wav"))


async def test_an_answered_call_transferred_to_voicemail_leaves_a_message(
    vm_pbx: PbxService, deposits: Deposits, tmp_path: Path
) -> None:
    """1001 talks to 1002 (a receptionist), who holds the call (CTI: music) and then sends it
    into 1003's voicemail: 1002's phone gets its BYE, the caller's dialog stays, the caller
    hears the greeting and the beep and leaves a message in 1003's box. A call into a user
    without a box is refused and goes on."""
    events = EventLog(vm_pbx.subscribe())
    phone = RtpPhone(CALLER_HZ).start()
    receptionist = await agent_phone(
        vm_pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path, ring_ms=100
    )
    caller = call(vm_pbx, tmp_path, "ext_call.xml", "1002", phone.port, hold_ms=9000)
    try:
        answered = await events.next_of(cc.CallAnswered, extension="1002")
        call_id = answered.call_id
        vm_pbx.send(cc.Transfer(call_id, NO_VOICEMAIL, to_voicemail=True))
        refused = await events.next_of(cc.CommandFailed, call_id=call_id, command="Transfer")
        assert NO_VOICEMAIL in refused.reason
        vm_pbx.send(cc.HoldCall(call_id))
        await events.next_of(cc.CallHeld, call_id=call_id)
        vm_pbx.send(cc.Transfer(call_id, "1003", to_voicemail=True))
        await events.next_of(cc.CallTransferred, call_id=call_id, target="1003")
        assert (await receptionist.wait()).returncode == 0, "1002's phone gets its BYE"
        await phone.wait_to_hear(BEEP_HERTZ, timeout=10)  # the greeting ends with the beep
        beep_at = asyncio.get_running_loop().time()
        assert (await caller).returncode == 0, "the caller's dialog went on until its BYE"
        message = await asyncio.wait_for(deposits.queue.get(), 5)
    finally:
        receptionist.kill()
        await phone.close()
    assert_left_by_caller(message, "1003", beep_at)

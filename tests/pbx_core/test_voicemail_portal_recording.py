"""Recording by phone in the voice portal against the PBX alone (SIPp, rtpengine, RTP tone,
RFC 4733 digits), with its limits lowered: a caller who talks past the longest recording is cut
at it, told so, hears the take back and keeps it - the store gets exactly the limit's worth.
The product's own limits and store: tests/e2e/test_product_record_by_phone.py."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.service import PbxService
from pbx_core.voicemail.deposit import Mailbox, VoicemailSettings
from pbx_core.voicemail.greetings import BEEP_HERTZ
from pbx_core.voicemail.portal_menu import PinCheck
from pbx_core.voicemail.portal_texts import TEXTS
from tests.e2e.keying_phone import KeyingCall
from tests.pbx_core.conftest import directory_for_tests
from tests.pbx_core.test_voicemail_deposit import CALLER_HZ, Deposits, voicemail_pbx_config

PIN = "2468"
LONGEST_S = 2.0


@dataclass
class KeptTakes:
    """The portal's store as the PBX sees it (`PortalStore`): the PIN, an empty box, one
    announcement; what is kept is noted with the take's length (the file is removed after)."""

    kept: list[tuple[str, float]] = field(default_factory=list)

    def check_pin(self, tenant: str, extension: str, pin: str) -> PinCheck:
        return PinCheck.OK if pin == PIN else PinCheck.WRONG

    def check_call_pin(self, tenant: str, extension: str, pin: str, number: str) -> PinCheck:
        return self.check_pin(tenant, extension, pin)

    def box(self, tenant: str, extension: str) -> Sequence[tuple[str, bool, Path]]:
        return []

    def mark_read(self, tenant: str, extension: str, message_id: str) -> None:
        raise AssertionError("no messages")

    def delete(self, tenant: str, extension: str, message_id: str) -> None:
        raise AssertionError("no messages")

    def announcements(self, tenant: str, extension: str) -> Sequence[str] | None:
        return ["welcome"]

    def save_announcement(self, tenant: str, extension: str, name: str, audio: Path) -> bool:
        self.kept.append((f"{tenant}/{extension}/{name}", _seconds(audio)))
        return True

    def save_greeting(self, tenant: str, extension: str, busy: bool, audio: Path) -> bool:
        self.kept.append((f"{tenant}/{extension}/busy={busy}", _seconds(audio)))
        return True


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.fixture
async def takes() -> KeptTakes:
    return KeptTakes()


@pytest.fixture
async def portal_pbx(
    redis_prefix: str,
    prompts_dir: Path,
    rtpengine: RtpengineProcess,
    tmp_path: Path,
    takes: KeptTakes,
) -> AsyncIterator[PbxService]:
    settings = VoicemailSettings(
        directory=tmp_path / "voicemail",
        on_message=Deposits(),
        mailbox=lambda _tenant, _ext: Mailbox("en"),
        greeting_max_seconds=LONGEST_S,
        announcement_max_seconds=LONGEST_S,
        portal=takes,
    )
    config = voicemail_pbx_config(redis_prefix, prompts_dir, rtpengine)
    service = PbxService(config, directory_for_tests(), voicemail=settings)
    await service.start()
    yield service
    await service.stop()


async def test_a_recording_stops_at_the_longest_and_keeps_exactly_that(
    portal_pbx: PbxService, takes: KeptTakes, tmp_path: Path
) -> None:
    portal = KeyingCall(portal_pbx.config.sip_port, tmp_path, "1001", "*62", timeout_s=60)
    await portal.press(f"{PIN}#3")
    await portal.press("1")  # the busy greeting
    await portal.phone.wait_to_hear(BEEP_HERTZ, timeout=20)
    portal.phone.speak(CALLER_HZ)  # and goes on talking, well past the longest
    await portal.phone.wait_to_hear(CALLER_HZ, timeout=20)  # cut, told so, played back
    portal.phone.speak(None)
    await portal.press("1*")  # kept; goodbye
    await portal.hung_up_by_pbx()
    ((what, seconds),) = takes.kept
    assert what == "demo/1001/busy=True"
    assert LONGEST_S - 0.1 <= seconds <= LONGEST_S, seconds
    prompts = SpokenPrompts(tmp_path / "voicemail" / "portal-prompts")
    assert prompts.file_for(TEXTS["en"]["longest"], "en").exists(), "the caller was not told"
    scratch = tmp_path / "voicemail" / "portal-recordings"
    assert list(scratch.glob("*")) == [], "the take stays on disk after it was kept"

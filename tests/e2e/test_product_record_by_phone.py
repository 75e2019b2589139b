"""Recording by phone in the running product (docs/voicemail.md, "Recording by phone"): the
tenant admin's phone (1101) dials the voice portal `*62`, keys its PIN, 6 for announcements, picks
one by its number and speaks a tone after the beep (SIPp call, real RTP through rtpengine, digits
as RFC 4733 events); the announcement's audio over the admin API is that tone, and a caller to
the call center playing it hears it. A user records its busy greeting the same way and a caller
meeting its do-not-disturb hears it. Attacks: a user who is not an admin is refused (spoken), a
too short recording is taken again, a hang-up mid-recording stores nothing, another company's
announcement is never offered nor touched. (Wrong PINs locking
the portal: tests/e2e/test_product_voice_portal.py.)"""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path

import httpx

from pbx_core.media.spoken import SpokenPrompts
from pbx_core.voicemail.greetings import BEEP_HERTZ
from pbx_core.voicemail.portal_texts import TEXTS
from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product import product, token
from tests.e2e.test_product_announcements import heard, tone
from tests.e2e.test_product_tenants import operator_client
from tests.e2e.test_product_voice_portal import longest_tone, set_pin
from tests.e2e.test_product_voicemail import CALLER_HZ, leave_message
from tests.pbx_core.rtp_phone import FRAME, level
from tests.pbx_core.support import samples_of
from tests.product_harness import ProductThread

__all__ = ["product"]

SPOKEN_HZ = 600
"""What the admin 'says' into the phone (not the beep's 1000 Hz, not the upload's)."""
UPLOADED_HZ = 800
GREETING_HZ = 550
ANNOUNCEMENTS = "/api/v1/tenants/demo/announcements"
ACME = "/api/v1/tenants/acme/announcements"
ADMIN_PIN, USER_PIN = "2468", "97531"


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def portal_call(
    product: ProductThread, work: Path, who: str, hang_up_after_ms: int | None = None
) -> KeyingCall:
    work.mkdir(exist_ok=True)
    return KeyingCall(
        product.sip_port, work, who, "*62", hang_up_after_ms=hang_up_after_ms, timeout_s=120
    )


async def speak_after_the_beep(call: KeyingCall, hertz: int, seconds: float) -> None:
    """Wait for the (next) beep, then 'say' `hertz` for `seconds` and fall silent."""
    call.phone.received.clear()  # nothing is played while recording: the last beep is there
    await call.phone.wait_to_hear(BEEP_HERTZ, timeout=30)
    call.phone.speak(hertz)
    await asyncio.sleep(seconds)
    call.phone.speak(None)
    await asyncio.sleep(0.2)


async def record_and_keep(call: KeyingCall, hertz: int, seconds: float) -> None:
    """After the beep: speak, `#`, hear it played back, 1 keeps it, `*` ends the call."""
    await speak_after_the_beep(call, hertz, seconds)
    await call.press("#")
    await call.phone.wait_to_hear(hertz, timeout=15)
    await call.press("1")
    await asyncio.sleep(2)
    await call.press("*")
    await call.hung_up_by_pbx()


def tone_seconds(wav_bytes: bytes, hertz: int) -> tuple[float, float]:
    """(seconds of frames carrying `hertz`, seconds in all) of an 8 kHz mono WAV."""
    with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        samples = samples_of(wav.readframes(wav.getnframes()))
    frames = [samples[i : i + FRAME] for i in range(0, len(samples) - FRAME + 1, FRAME)]
    carrying = sum(level(frame, hertz) > 1500 for frame in frames)
    return carrying * FRAME / 8000, len(samples) / 8000


async def announcement(http: httpx.AsyncClient, name: str) -> dict[str, object]:
    listed = (await http.get(ANNOUNCEMENTS)).json()
    (found,) = [a for a in listed if a["name"] == name]
    return dict(found)


def spoken_prompt(product: ProductThread, text: str) -> Path:
    """Where the portal keeps `text` (NL: the demo users' language) once it has said it."""
    prompts = SpokenPrompts(product.settings.var_dir / "voicemail" / "portal-prompts")
    return prompts.file_for(TEXTS["nl"][text], "nl")


async def test_the_admin_records_an_announcement_by_phone_and_callers_hear_it(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    admin = await token(base, "admin", "pwadmin")
    async with httpx.AsyncClient(base_url=base, headers=bearer(admin), timeout=30) as http:
        first = await http.put(f"{ANNOUNCEMENTS}/welcome-x", content=tone(tmp_path, UPLOADED_HZ, 1))
        assert first.status_code == 201, first.text
        media = {"entrance_message": first.json()["reference"]}
        changed = await http.patch("/api/v1/tenants/demo/call-centers/7001", json={"media": media})
        assert changed.status_code == 200, changed.text
        uploaded = await announcement(http, "welcome-x")
    assert await set_pin(base, admin, ADMIN_PIN) == 204
    # Another company, with an announcement whose name sorts first: never read out to the demo's
    # admin, never number 1 there, never recorded over.
    with operator_client(base) as operator:
        made = operator.post(
            "/api/v1/tenants", json={"id": "acme", "name": "Acme", "sip_domain": "acme.test"}
        )
        assert made.status_code == 201, made.text
        theirs = operator.put(f"{ACME}/aaa-secret", content=tone(tmp_path, UPLOADED_HZ, 1))
        assert theirs.status_code == 201, theirs.text
        acme_audio = operator.get(f"{ACME}/aaa-secret").content

    # A user who is not the tenant's admin: 6 is refused, said so, and nothing is recorded.
    user = await token(base, "1003", "pw1003")
    assert await set_pin(base, user, USER_PIN) == 204
    refused = portal_call(product, tmp_path / "refused", "1003")
    await refused.press(f"{USER_PIN}#6")
    await asyncio.sleep(3)
    await refused.press("1#")  # would pick announcement 1 had the list been read
    await asyncio.sleep(2)
    await refused.press("*")
    await refused.hung_up_by_pbx()
    assert spoken_prompt(product, "not_allowed").exists(), "the refusal was not spoken"
    assert longest_tone(refused.phone, BEEP_HERTZ) < 5, "a non-admin heard the recording beep"

    # The admin: PIN, 6, announcement 1 (welcome-x); `#` at once is too short (recorded again);
    # then 2 s of the tone, `#`, the playback, 1 keeps it.
    recorder = portal_call(product, tmp_path / "admin", "1101")
    await recorder.press(f"{ADMIN_PIN}#6")
    await asyncio.sleep(1)
    await recorder.press("2#")  # the demo has one announcement: acme's is not number 2 either
    await asyncio.sleep(1)
    await recorder.press("1#")
    await recorder.phone.wait_to_hear(BEEP_HERTZ, timeout=30)
    await asyncio.sleep(0.8)  # the beep (0.4 s) is over: recording, for well under a second
    await recorder.press("#")
    await record_and_keep(recorder, SPOKEN_HZ, 2.0)
    assert spoken_prompt(product, "too_short").exists(), "a too short recording was not refused"
    assert spoken_prompt(product, "no_such_announcement").exists()

    async with httpx.AsyncClient(base_url=base, headers=bearer(admin), timeout=30) as http:
        audio = await http.get(f"{ANNOUNCEMENTS}/welcome-x")
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
        carrying, total = tone_seconds(audio.content, SPOKEN_HZ)
        assert 1.5 <= carrying <= 2.5, (carrying, total)
        assert total <= 3.0, total
        assert tone_seconds(audio.content, UPLOADED_HZ)[0] == 0
        recorded = await announcement(http, "welcome-x")
        assert recorded["uploaded_by"] == "admin" and recorded["used_by"] == ["7001"]
        assert recorded["uploaded_at"] != uploaded["uploaded_at"]
        audit = (await http.get("/api/v1/tenants/demo/audit-log")).json()["items"]
        entry = audit[0]
        assert (entry["actor"], entry["entity"], entry["key"], entry["action"]) == (
            "admin",
            "announcement",
            "welcome-x",
            "update",
        ), entry

    # A caller to 7001 hears the recording at once (its entrance message).
    (share,) = await heard(product, tmp_path / "caller", 6, (SPOKEN_HZ,))
    assert share > 0.1, share

    # Hanging up in the middle of a recording stores nothing, and leaves no file behind.
    gone = portal_call(product, tmp_path / "hang-up", "1101", hang_up_after_ms=25000)
    await gone.press(f"{ADMIN_PIN}#6")
    await asyncio.sleep(1)
    await gone.press("1#")
    await gone.phone.wait_to_hear(BEEP_HERTZ, timeout=20)
    gone.phone.speak(CALLER_HZ)  # talks until the phone hangs up
    await gone.hung_up_by_pbx()
    async with httpx.AsyncClient(base_url=base, headers=bearer(admin), timeout=30) as http:
        assert await announcement(http, "welcome-x") == recorded
        assert (await http.get(f"{ANNOUNCEMENTS}/welcome-x")).content == audio.content
    with operator_client(base) as operator:
        assert operator.get(f"{ACME}/aaa-secret").content == acme_audio
        assert [a["uploaded_by"] for a in operator.get(ACME).json()] == ["operator"]
    scratch = product.settings.var_dir / "voicemail" / "portal-recordings"
    assert list(scratch.glob("*")) == [], "a half recording stayed on disk"


async def test_a_user_records_its_busy_greeting_by_phone(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    owner = await token(base, "1005", "pw1005")
    assert await set_pin(base, owner, USER_PIN) == 204
    call = portal_call(product, tmp_path / "portal", "1005")
    await call.press(f"{USER_PIN}#3")
    await asyncio.sleep(1)
    await call.press("1")  # the busy greeting
    await record_and_keep(call, GREETING_HZ, 1.5)

    async with httpx.AsyncClient(base_url=base, headers=bearer(owner)) as http:
        dnd = await http.patch("/api/v1/me/services", json={"do_not_disturb": True})
        assert dnd.status_code == 200, dnd.text
    busy = await caller_hears(product, tmp_path / "busy", "1005")
    assert busy >= 50, busy  # most of its 1.5 s (75 frames) in one run
    async with httpx.AsyncClient(base_url=base, headers=bearer(owner)) as http:
        dnd = await http.patch("/api/v1/me/services", json={"do_not_disturb": False})
        assert dnd.status_code == 200, dnd.text
    # Not busy (its phone is not registered): the no-answer greeting, still the spoken default.
    unavailable = await caller_hears(product, tmp_path / "unavailable", "1005")
    assert unavailable < 10, unavailable


async def caller_hears(product: ProductThread, work: Path, to: str) -> int:
    """1001 calls `to` until its voicemail's beep: the most frames in a row with the greeting
    tone (speech has it only in passing)."""
    work.mkdir()
    return longest_tone(await leave_message(product, work, to), GREETING_HZ)

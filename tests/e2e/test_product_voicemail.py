"""Voicemail in the running product, as its users meet it: a colleague's call to a phone that is
not registered lands in the voicemail box (SIPp caller with a real RTP tone); the owner lists,
plays, marks and deletes it over REST; nobody else reaches it."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from pbx_core.voicemail.greetings import BEEP_HERTZ
from tests.e2e.test_product import product, token
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, SippResult, run_sipp
from tests.product_harness import ProductThread

__all__ = ["product"]

CALLER_HZ = 700
GREETING_HZ = 500


async def leave_message(
    product: ProductThread, tmp_path: Path, to: str, hold_ms: int = 14000
) -> RtpPhone:
    """1001 calls `to` (no phone registered), waits for the beep, talks, hangs up `hold_ms`
    after the answer; the caller's phone (closed), with what it heard. 14 s: the beep may come
    up to 12 s after the answer on a loaded machine (the greeting spoken for the first time),
    and a message shorter than the shortest kept is dropped (a CI run's was)."""
    phone = RtpPhone(CALLER_HZ).start()
    call: asyncio.Task[SippResult] = asyncio.create_task(
        run_sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": to, "media_port": phone.port, "hold_ms": hold_ms},
            extra=["-au", "1001", "-ap", "pw1001"],
        )
    )
    try:
        await phone.wait_to_hear(BEEP_HERTZ, timeout=12)
        result = await call
        assert result.returncode == 0, result.errors
    finally:
        call.cancel()
        await phone.close()
    return phone


async def messages(http: httpx.AsyncClient, bearer: str) -> list[dict[str, object]]:
    reply = await http.get("/api/v1/voicemail", headers={"Authorization": f"Bearer {bearer}"})
    assert reply.status_code == 200, reply.text
    listed: list[dict[str, object]] = reply.json()
    return listed


async def test_a_missed_call_is_listened_to_marked_and_deleted_by_its_owner_only(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    owner, colleague = await token(base, "1003", "pw1003"), await token(base, "1004", "pw1004")
    operator = await token(base, "operator", "pwoperator")  # signs in, has no phone
    # 1003's phone watches its mailbox (MWI): nothing, then 1 new, then 0 new / 1 old.
    mwi_phone = await Sipp(
        "mwi_subscribe.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"to": "1003"},
        extra=["-au", "1003", "-ap", "pw1003"],
    ).start()
    try:
        await leave_message(product, tmp_path, "1003")
        await owner_handles_the_message(product, owner, colleague, operator)
        told = await mwi_phone.wait()
        assert told.returncode == 0, told.errors
    finally:
        mwi_phone.kill()


async def owner_handles_the_message(
    product: ProductThread, owner: str, colleague: str, operator: str
) -> None:
    base = product.base_url
    async with httpx.AsyncClient(base_url=base) as http:
        listed: list[dict[str, object]] = []
        for _ in range(50):  # the row is written just after the BYE
            listed = await messages(http, owner)
            if listed:
                break
            await asyncio.sleep(0.1)
        assert len(listed) == 1, listed
        (message,) = listed
        assert set(message) == {"id", "caller", "received_at", "duration_seconds", "read"}
        assert message["caller"] == "1001" and message["read"] is False
        received_at = datetime.fromisoformat(str(message["received_at"]))
        assert received_at.utcoffset() == timedelta(0)  # UTC, said so (the browser shows local)
        assert isinstance(message["duration_seconds"], int) and message["duration_seconds"] >= 1
        mine = {"Authorization": f"Bearer {owner}"}
        theirs = {"Authorization": f"Bearer {colleague}"}
        url = f"/api/v1/voicemail/{message['id']}"

        audio = await http.get(f"{url}/audio", headers=mine)
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(audio.content), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)
            assert wav.getnframes() / 8000 >= 1

        # Another user of the same company, a user without a phone, nobody signed in, junk ids.
        assert await messages(http, colleague) == []
        for method, path, body in (
            ("GET", f"{url}/audio", None),
            ("PATCH", url, {"read": True}),
            ("DELETE", url, None),
        ):
            reply = await http.request(method, path, headers=theirs, json=body)
            assert reply.status_code == 404, (method, reply.text)
            anonymous = await http.request(method, path, json=body)
            assert anonymous.status_code == 401
        reply = await http.get("/api/v1/voicemail", headers={"Authorization": f"Bearer {operator}"})
        assert reply.status_code == 403
        for junk in ("..%2F..%2Ftoken_secret", "x" * 32, "0" * 500, "%00"):
            reply = await http.get(f"/api/v1/voicemail/{junk}/audio", headers=mine)
            assert reply.status_code == 404, junk
        for bad in ({"read": "maybe"}, {"read": True, "extension": "1004"}, {}):
            reply = await http.patch(url, headers=mine, json=bad)
            assert reply.status_code == 422, bad
        assert (await messages(http, owner))[0]["read"] is False

        marked = await http.patch(url, headers=mine, json={"read": True})
        assert marked.status_code == 200 and marked.json()["read"] is True
        assert (await messages(http, owner))[0]["read"] is True
    await deleting_removes_row_and_audio(product, owner, str(message["id"]))


async def deleting_removes_row_and_audio(product: ProductThread, owner: str, mid: str) -> None:
    await asyncio.sleep(0.5)  # the phone has its "read" NOTIFY before the delete's
    mine = {"Authorization": f"Bearer {owner}"}
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        assert (await http.delete(f"/api/v1/voicemail/{mid}", headers=mine)).status_code == 204
        assert await messages(http, owner) == []
        audio = await http.get(f"/api/v1/voicemail/{mid}/audio", headers=mine)
        assert audio.status_code == 404
    boxes = product.settings.var_dir / "voicemail" / "boxes" / "demo" / "1003"
    assert list(boxes.glob("*.wav")) == [], "the audio file stays after the delete"


def tone_wav(hertz: float, seconds: float, rate: int = 16000, channels: int = 2) -> bytes:
    """A PCM WAV in another shape than the PBX's (16 kHz stereo): the upload converts it."""
    frames = int(seconds * rate)
    samples = [int(8000 * math.sin(2 * math.pi * hertz * n / rate)) for n in range(frames)]
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", s) * channels for s in samples))
    return out.getvalue()


async def test_callers_hear_the_users_uploaded_greeting(
    product: ProductThread, tmp_path: Path
) -> None:
    base = product.base_url
    owner = await token(base, "1005", "pw1005")
    mine = {"Authorization": f"Bearer {owner}", "Content-Type": "audio/wav"}
    async with httpx.AsyncClient(base_url=base) as http:
        for junk in (b"", b"RIFF....WAVEfmt junk", b"\x00" * 1000, tone_wav(500, 61, rate=8000)):
            reply = await http.put("/api/v1/voicemail/greeting", headers=mine, content=junk)
            assert reply.status_code == 422, reply.text
        huge = await http.put(
            "/api/v1/voicemail/greeting", headers=mine, content=b"\x00" * (6 * 1024 * 1024)
        )
        assert huge.status_code == 413
        reply = await http.put(
            "/api/v1/voicemail/greeting", headers=mine, content=tone_wav(GREETING_HZ, 1.5)
        )
        assert reply.status_code == 204, reply.text

    phone = RtpPhone(CALLER_HZ).start()
    call = asyncio.create_task(
        run_sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": "1005", "media_port": phone.port, "hold_ms": 5000},
            extra=["-au", "1001", "-ap", "pw1001"],
        )
    )
    try:
        await phone.wait_to_hear(GREETING_HZ, timeout=10)  # the user's own greeting
        await phone.wait_to_hear(BEEP_HERTZ, timeout=5)  # then the beep
        assert (await call).returncode == 0
    finally:
        call.cancel()
        await phone.close()
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.delete("/api/v1/voicemail/greeting", headers=mine)
        assert reply.status_code == 204

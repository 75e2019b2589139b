"""End to end: announcements in the running product (`cti.product.run_product`, as `make demo`).

The tenant admin uploads two recordings over the REST API (a 1000 Hz tone as the welcome, a
750 Hz tone as music on hold), names them in call center 7001's settings, and a SIPp caller on
the trunk hears them: the RTP it receives carries the uploaded tones, where a caller before the
change heard the generated welcome (speech) and music (chords) instead."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.components import require_executable
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import trunk_caller
from tests.product_harness import ProductThread

WELCOME_HZ, MUSIC_HZ = 1000, 750
"""Multiples of 50 Hz (RtpPhone reads them exactly); neither is in the generated prompts."""
TONES = (WELCOME_HZ, MUSIC_HZ)


@pytest.fixture(autouse=True)
def _media_programs() -> None:
    for program in ("sipp", "rtpengine", "espeak-ng", "sox"):
        require_executable(program)


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "announcements")
    yield running
    running.stop()


def tone(tmp_path: Path, hertz: int, seconds: float) -> bytes:
    target = tmp_path / f"tone-{hertz}.mp3"
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", str(target), "synth", str(seconds),
         "sine", str(hertz), "vol", "0.5"],
        check=True, capture_output=True,
    )  # fmt: skip
    return target.read_bytes()


def admin_client(product: ProductThread) -> httpx.Client:
    client = httpx.Client(base_url=product.base_url, timeout=30)
    answer = client.post("/api/v1/auth/token", json={"username": "admin", "password": "pwadmin"})
    answer.raise_for_status()
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


async def heard(
    product: ProductThread, work_dir: Path, seconds: int, tones: tuple[int, ...] = TONES
) -> tuple[float, ...]:
    """A caller dials 7001 (nobody is available) and stays `seconds`: the share of its frames
    carrying each of `tones` (by default the welcome tone, and the music tone)."""
    work_dir.mkdir()
    phone = RtpPhone(None).start()
    caller = await trunk_caller(
        product.sip_port, "trunk_call.xml", work_dir, media_port=phone.port,
        hold_ms=seconds * 1000,
    )  # fmt: skip
    try:
        result = await caller.wait(timeout=seconds + 20)
        assert result.returncode == 0, result.errors
    finally:
        caller.kill()
        await phone.close()
    assert phone.received, "the caller received no audio"
    return tuple(phone.share(hertz, 0) for hertz in tones)


def test_a_caller_hears_the_uploaded_welcome_and_music(
    product: ProductThread, tmp_path: Path
) -> None:
    welcome_share, music_share = product.loop.run(
        heard(product, tmp_path / "before", 6), timeout=60
    )
    # A stray frame of speech or of the chords may come near a tone; neither prompt holds one.
    assert welcome_share < 0.1 and music_share < 0.1, (welcome_share, music_share)

    admin = admin_client(product)
    try:
        base = "/api/v1/tenants/demo/announcements"
        welcome = admin.put(f"{base}/welcome-tone", content=tone(tmp_path, WELCOME_HZ, 2))
        assert welcome.status_code == 201, welcome.text
        music = admin.put(f"{base}/music-tone", content=tone(tmp_path, MUSIC_HZ, 3))
        assert music.status_code == 201, music.text
        media = {
            "entrance_message": welcome.json()["reference"],
            "music_on_hold": music.json()["reference"],
        }
        changed = admin.patch("/api/v1/tenants/demo/call-centers/7001", json={"media": media})
        assert changed.status_code == 200, changed.text
        assert admin.get(base).json()[0]["used_by"] == ["7001"]
    finally:
        admin.close()

    welcome_share, music_share = product.loop.run(heard(product, tmp_path / "after", 8), timeout=60)
    # 2 s of welcome and then music in an 8 s call: both clearly there.
    assert welcome_share > 0.15, (welcome_share, music_share)
    assert music_share > 0.3, (welcome_share, music_share)

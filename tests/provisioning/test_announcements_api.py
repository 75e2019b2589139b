"""Announcements through the admin API: WAV and MP3 uploads converted to what the PBX plays,
listened back, replaced, deleted; not-audio, too long, too big and bad names refused with the
field; another tenant's admin refused on every route; a call center's announcement kept."""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from provisioning.announcement_store import AnnouncementService
from provisioning.announcements import MAX_SECONDS, PROMPTS_SUBDIR
from tests.provisioning.api_world import OTHER, ApiWorld, start_world

BASE = "/api/v1/tenants/demo/announcements"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiWorld, Path]]:
    var = tmp_path_factory.mktemp("announcements-api")
    for made in start_world(var):
        engine = create_engine(f"sqlite:///{var / 'opencc.db'}")
        directory = var / "prompts" / PROMPTS_SUBDIR
        made.server.app.state.announcements = AnnouncementService(engine, directory)
        yield made, directory
        engine.dispose()


def sound(tmp_path: Path, suffix: str, seconds: float, rate: int = 44100, channels: int = 2):
    target = tmp_path / f"sound-{seconds}-{rate}.{suffix}"
    subprocess.run(
        ["sox", "-n", "-r", str(rate), "-c", str(channels), str(target),
         "synth", str(seconds), "sine", "523"],
        check=True, capture_output=True,
    )  # fmt: skip
    return target.read_bytes()


def wav_shape(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(BytesIO(data)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), seconds


def test_a_wav_is_uploaded_converted_listened_to_replaced_and_deleted(
    world: tuple[ApiWorld, Path], tmp_path: Path
) -> None:
    api, directory = world
    admin = api["admin"]
    answer = admin.put(f"{BASE}/welcome", content=sound(tmp_path, "wav", 1.5))
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["name"] == "welcome" and made["reference"] == "announcement:welcome"
    assert made["seconds"] == pytest.approx(1.5, abs=0.05)
    assert made["uploaded_by"] == "admin" and made["used_by"] == []
    assert made["uploaded_at"].endswith("+00:00")

    listened = admin.get(f"{BASE}/welcome")
    assert listened.status_code == 200
    assert listened.headers["content-type"] == "audio/wav"
    rate, channels, width, seconds = wav_shape(listened.content)
    assert (rate, channels, width) == (8000, 1, 2)  # what the PBX plays (pbx_core/media/prompts.py)
    assert seconds == pytest.approx(1.5, abs=0.05)
    assert (directory / "demo" / "welcome.wav").read_bytes() == listened.content

    replaced = admin.put(f"{BASE}/welcome", content=sound(tmp_path, "wav", 0.5))
    assert replaced.status_code == 200, replaced.text
    assert wav_shape(admin.get(f"{BASE}/welcome").content)[3] == pytest.approx(0.5, abs=0.05)
    assert [a["name"] for a in admin.get(BASE).json()] == ["welcome"]
    supervisor_list = api["supervisor"].get(BASE)
    assert supervisor_list.status_code == 200 and len(supervisor_list.json()) == 1

    audit = admin.get("/api/v1/tenants/demo/audit-log").json()["items"]
    mine = [(e["action"], e["key"]) for e in audit if e["entity"] == "announcement"]
    assert mine[:2] == [("update", "welcome"), ("create", "welcome")]

    assert admin.delete(f"{BASE}/welcome").status_code == 204
    assert admin.get(f"{BASE}/welcome").status_code == 404
    assert not (directory / "demo" / "welcome.wav").exists()
    assert admin.get(BASE).json() == []


def test_an_mp3_is_converted_too(world: tuple[ApiWorld, Path], tmp_path: Path) -> None:
    admin = world[0]["admin"]
    answer = admin.put(f"{BASE}/jingle", content=sound(tmp_path, "mp3", 2.0))
    assert answer.status_code == 201, answer.text
    rate, channels, _, seconds = wav_shape(admin.get(f"{BASE}/jingle").content)
    assert (rate, channels) == (8000, 1) and seconds == pytest.approx(2.0, abs=0.15)
    assert admin.delete(f"{BASE}/jingle").status_code == 204


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"hello, I am a text file", "not audio"),
        (b"", "not audio"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt garbage that is no wave at all" * 10, "not audio"),
        (b"ID3" + bytes(range(256)) * 20, "not audio"),
        (b"<?php system($_GET['c']); ?>", "not audio"),
    ],
)
def test_what_is_not_audio_is_refused(
    world: tuple[ApiWorld, Path], body: bytes, reason: str
) -> None:
    api, directory = world
    answer = api["admin"].put(f"{BASE}/bad", content=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]["field"] == "audio"
    assert reason in answer.json()["detail"]["reason"]
    assert api["admin"].get(f"{BASE}/bad").status_code == 404
    assert not list((directory / "demo").glob("bad*"))


def test_too_long_and_too_big_are_refused(world: tuple[ApiWorld, Path], tmp_path: Path) -> None:
    admin = world[0]["admin"]
    long = sound(tmp_path, "wav", MAX_SECONDS + 5, rate=8000, channels=1)
    answer = admin.put(f"{BASE}/long", content=long)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == {"field": "audio", "reason": "too long: at most 300 seconds"}
    huge = admin.put(f"{BASE}/huge", content=b"RIFF" + bytes(17 << 20))
    assert huge.status_code == 413
    assert huge.json()["detail"]["field"] == "audio"
    assert admin.get(BASE).json() == []


@pytest.mark.parametrize("name", ["Welcome", "-x", "a.b", "x" * 65, "a%2F..%2Fb", "wel come"])
def test_bad_names_are_refused(world: tuple[ApiWorld, Path], tmp_path: Path, name: str) -> None:
    answer = world[0]["admin"].put(f"{BASE}/{name}", content=sound(tmp_path, "wav", 0.2))
    assert answer.status_code in (404, 422), answer.text
    if answer.status_code == 422:
        detail = answer.json()["detail"]
        assert (detail["field"] if isinstance(detail, dict) else detail[0]["loc"][-1]) == "name"


@pytest.mark.parametrize(
    ("media", "field"),
    [
        ({"entrance_message": "announcement:never-uploaded"}, "media.entrance_message"),
        ({"music_on_hold": "announcement:../../etc/passwd"}, "media.music_on_hold"),
        ({"comfort_message": "announcement:secret-of-acme"}, "media.comfort_message"),
    ],
)
def test_a_call_center_cannot_name_an_announcement_the_tenant_lacks(
    world: tuple[ApiWorld, Path], tmp_path: Path, media: dict[str, str], field: str
) -> None:
    api, _ = world
    acme = f"/api/v1/tenants/{OTHER}/announcements/secret-of-acme"
    assert api["acme_admin"].put(acme, content=sound(tmp_path, "wav", 0.2)).status_code in (
        200,
        201,
    )
    center = {"number": "7402", "name": "Refs", "tier": "basic", "media": media}
    answer = api["admin"].post("/api/v1/tenants/demo/call-centers", json=center)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]["field"] == field
    assert api["admin"].get("/api/v1/tenants/demo/call-centers/7402").status_code == 404


def test_a_played_announcement_cannot_be_deleted(
    world: tuple[ApiWorld, Path], tmp_path: Path
) -> None:
    admin = world[0]["admin"]
    assert admin.put(f"{BASE}/entrance", content=sound(tmp_path, "wav", 0.3)).status_code == 201
    center = {
        "number": "7401",
        "name": "Entrance",
        "tier": "basic",
        "media": {"entrance_message": "announcement:entrance"},
    }
    made = admin.post("/api/v1/tenants/demo/call-centers", json=center)
    assert made.status_code == 201, made.text
    assert admin.get(BASE).json()[0]["used_by"] == ["7401"]
    refused = admin.delete(f"{BASE}/entrance")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert detail["field"] == "name" and "7401" in detail["reason"]
    assert admin.get(f"{BASE}/entrance").status_code == 200
    other = {"media": {"entrance_message": "welcome"}}
    assert admin.patch("/api/v1/tenants/demo/call-centers/7401", json=other).status_code == 200
    assert admin.delete(f"{BASE}/entrance").status_code == 204


def test_another_tenant_is_refused_on_every_route(
    world: tuple[ApiWorld, Path], tmp_path: Path
) -> None:
    api, directory = world
    audio = sound(tmp_path, "wav", 0.3)
    assert api["admin"].put(f"{BASE}/secret", content=audio).status_code == 201
    foreign = api["acme_admin"]
    routes = [
        ("GET", BASE, None),
        ("GET", f"{BASE}/secret", None),
        ("PUT", f"{BASE}/secret", audio),
        ("PUT", f"{BASE}/new", audio),
        ("DELETE", f"{BASE}/secret", None),
    ]
    for method, url, content in routes:
        for who in ("acme_admin", "agent"):
            answer = api[who].request(method, url, content=content)
            assert answer.status_code == 403, (who, method, url, answer.text)
        assert api.anonymous.request(method, url, content=content).status_code == 401
    assert api["supervisor"].put(f"{BASE}/secret", content=audio).status_code == 403
    assert api["supervisor"].delete(f"{BASE}/secret").status_code == 403
    # Acme's own announcement of the same name is its own file.
    mine = foreign.put(f"/api/v1/tenants/{OTHER}/announcements/secret", content=audio[:2000])
    assert mine.status_code == 201, mine.text
    assert foreign.get(f"/api/v1/tenants/{OTHER}/announcements").json()[0]["name"] == "secret"
    demo_file = api["admin"].get(f"{BASE}/secret").content
    assert demo_file != foreign.get(f"/api/v1/tenants/{OTHER}/announcements/secret").content
    assert (directory / OTHER / "secret.wav").exists()
    assert api["admin"].delete(f"{BASE}/secret").status_code == 204

"""The voice portal's store for recordings made by phone (`cti.voicemail.Voicemail`, the
`PortalStore` the PBX calls) on SQLite and PostgreSQL: only a tenant's admin lists and records
its announcements, each tenant sees and replaces only its own (the same extension and the same
announcement name in another tenant stay untouched), and a refused recording changes nothing."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cti.voicemail import Voicemail
from provisioning.announcement_store import AnnouncementService
from provisioning.service import ProvisioningService
from provisioning.users import UserRole
from provisioning.voicemail_boxes import VoicemailBoxes
from provisioning.voicemail_messages import VoicemailMessages
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_pbx_directory import user


def recorded(tmp_path: Path, hertz: int) -> Path:
    """What the portal's recorder leaves: an 8 kHz mono 16-bit WAV."""
    target = tmp_path / f"take-{hertz}.wav"
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(target),
         "synth", "1.5", "sine", str(hertz)],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    made = asyncio.new_event_loop()
    yield made
    made.close()


def test_only_the_tenants_admin_records_only_its_own_announcements(
    engine: Engine, service: ProvisioningService, tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    for tenant in ("acme", "bolt"):
        service.create_tenant("operator", tenant_spec(tenant))
        service.create_users(
            "operator",
            tenant,
            [user(tenant, "1001", UserRole.ADMIN), user(tenant, "1002", UserRole.AGENT)],
        )
    store = AnnouncementService(engine, tmp_path / "announcements")
    store.put("acme-1001", "acme", "welcome", recorded(tmp_path, 400).read_bytes())
    store.put("bolt-1001", "bolt", "welcome", recorded(tmp_path, 500).read_bytes())
    store.put("bolt-1001", "bolt", "secret", recorded(tmp_path, 500).read_bytes())
    bolt_files = {p.name: p.read_bytes() for p in (tmp_path / "announcements" / "bolt").iterdir()}
    portal = Voicemail(
        VoicemailMessages(engine),
        VoicemailBoxes(engine),
        tmp_path / "voicemail",
        loop,
        announcements=store,
    )

    assert portal.announcements("acme", "1001") == ["welcome"]  # never bolt's "secret"
    assert portal.announcements("acme", "1002") is None  # an agent: refused
    assert portal.announcements("acme", "1999") is None  # nobody
    assert not portal.save_announcement("acme", "1002", "welcome", recorded(tmp_path, 600))

    take = recorded(tmp_path, 600)
    assert portal.save_announcement("acme", "1001", "welcome", take)
    (welcome,) = store.list("acme")
    assert welcome.uploaded_by == "acme-1001" and welcome.seconds == pytest.approx(1.5, abs=0.05)
    assert store.file("acme", "welcome").read_bytes() == take.read_bytes()
    # The same name in the other tenant, and its other announcement, are as they were.
    after = {p.name: p.read_bytes() for p in (tmp_path / "announcements" / "bolt").iterdir()}
    assert after == bolt_files
    assert [a.uploaded_by for a in store.list("bolt")] == ["bolt-1001", "bolt-1001"]

    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF0000WAVEjunk")
    assert not portal.save_announcement("acme", "1001", "welcome", junk)
    assert store.file("acme", "welcome").read_bytes() == take.read_bytes()


def test_greetings_by_phone_land_in_the_users_own_box(
    engine: Engine, service: ProvisioningService, tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    portal = Voicemail(
        VoicemailMessages(engine), VoicemailBoxes(engine), tmp_path / "voicemail", loop
    )
    assert portal.announcements("acme", "1001") is None  # no announcement service: none
    assert portal.save_greeting("acme", "1001", True, recorded(tmp_path, 600))
    box = tmp_path / "voicemail" / "boxes" / "acme" / "1001"
    assert sorted(p.name for p in box.iterdir()) == ["greeting-busy.wav"]
    assert portal.save_greeting("acme", "1001", False, recorded(tmp_path, 600))
    assert sorted(p.name for p in box.iterdir()) == ["greeting-busy.wav", "greeting.wav"]
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav")
    assert not portal.save_greeting("bolt", "1001", True, junk)
    assert not (tmp_path / "voicemail" / "boxes" / "bolt").exists()

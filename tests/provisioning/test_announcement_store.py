"""`AnnouncementService` on SQLite and PostgreSQL: one transaction and one audit entry per
change, the file moved into place only after the commit, nothing left by a refused change."""

from __future__ import annotations

import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from provisioning.announcement_store import AnnouncementService, announcements
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.models import audit_log
from provisioning.service import ProvisioningService
from tests.provisioning.conftest import TODAY, tenant_spec


def wav(tmp_path: Path, seconds: float) -> bytes:
    target = tmp_path / f"tone-{seconds}.wav"
    subprocess.run(["sox", "-n", "-r", "16000", str(target), "synth", str(seconds), "sine", "440"],
                   check=True, capture_output=True)  # fmt: skip
    return target.read_bytes()


def test_put_replace_delete_with_files_and_audit(
    engine: Engine, service: ProvisioningService, tmp_path: Path
) -> None:
    service.create_tenant("operator", tenant_spec("acme"))
    store = AnnouncementService(engine, tmp_path / "announcements", now=lambda: TODAY)
    made, created = store.put("anna", "acme", "welcome", wav(tmp_path, 1.0))
    assert created and made.seconds == pytest.approx(1.0, abs=0.02)
    path = store.file("acme", "welcome")
    assert path == tmp_path / "announcements" / "acme" / "welcome.wav"
    first = path.read_bytes()
    replaced, created = store.put("anna", "acme", "welcome", wav(tmp_path, 0.5))
    assert not created and replaced.seconds == pytest.approx(0.5, abs=0.02)
    assert path.read_bytes() != first
    assert [a.name for a in store.list("acme")] == ["welcome"]
    store.delete("anna", "acme", "welcome")
    assert not path.exists() and store.list("acme") == []
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.action, audit_log.c.actor).where(
                audit_log.c.entity == "announcement"
            )
        ).all()
    assert [tuple(r) for r in rows] == [("create", "anna"), ("update", "anna"), ("delete", "anna")]
    assert list((tmp_path / "announcements" / "acme").iterdir()) == []


def test_refused_changes_leave_nothing(
    engine: Engine, service: ProvisioningService, tmp_path: Path
) -> None:
    store = AnnouncementService(engine, tmp_path / "announcements")
    with pytest.raises(NotFound) as no_tenant:
        store.put("anna", "ghost", "welcome", wav(tmp_path, 0.3))
    assert no_tenant.value.field == "tenant"
    assert not list((tmp_path / "announcements").rglob("*.wav*"))
    assert not list((tmp_path / "announcements").rglob("*.partial"))
    service.create_tenant("operator", tenant_spec("acme"))
    with pytest.raises(Invalid) as bad_name:
        store.put("anna", "acme", "../escape", wav(tmp_path, 0.3))
    assert bad_name.value.field == "name"
    with pytest.raises(Invalid) as not_audio:
        store.put("anna", "acme", "notes", b"RIFF1234WAVEnot really")
    assert not_audio.value.field == "audio"
    with pytest.raises(NotFound):
        store.delete("anna", "acme", "notes")
    with engine.connect() as connection:
        assert connection.execute(select(announcements)).all() == []


def test_an_announcement_in_use_stays(
    engine: Engine, service: ProvisioningService, tmp_path: Path
) -> None:
    service.create_tenant("operator", tenant_spec("acme"))
    store = AnnouncementService(engine, tmp_path / "announcements")
    store.put("anna", "acme", "jingle", wav(tmp_path, 0.3))
    settings = {"number": "7001", "name": "Sales", "tier": "basic"}
    service.create_call_center(
        "anna", "acme", {**settings, "media": {"music_on_hold": "announcement:jingle"}}
    )
    with pytest.raises(Conflict) as in_use:
        store.delete("anna", "acme", "jingle")
    assert "7001" in in_use.value.reason
    assert store.list("acme")[0].used_by == ["7001"]
    assert store.file("acme", "jingle").exists()


def test_two_uploads_of_one_name_at_once_leave_one_whole_recording(
    engine: Engine, service: ProvisioningService, tmp_path: Path
) -> None:
    service.create_tenant("operator", tenant_spec("acme"))
    store = AnnouncementService(engine, tmp_path / "announcements")
    uploads = {seconds: wav(tmp_path, seconds) for seconds in (0.4, 0.8)}

    def upload(seconds: float) -> str:
        try:
            store.put("anna", "acme", "race", uploads[seconds])
        except Conflict:  # both inserted at once: the loser is told, as any concurrent change
            return "conflict"
        return "stored"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(upload, uploads))
    assert "stored" in outcomes
    [row] = store.list("acme")
    with wave.open(str(store.file("acme", "race"))) as played:
        seconds = played.getnframes() / played.getframerate()
    assert seconds == pytest.approx(row.seconds, abs=0.01)  # the row and the file agree
    assert not list((tmp_path / "announcements").rglob("*.partial"))

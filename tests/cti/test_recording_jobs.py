"""The recordings' scheduled jobs through a real rq worker: the retention purge deletes the audio
and the row of what outlived its tenant's term (and nothing else), and the sweep queues again a
finished call whose enqueueing failed."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from common.job_queues import job_queue, simple_worker
from cti.recording_archive import (
    STALE_METADATA_SECONDS,
    RecordingPaths,
    archive_finished_call,
    purge_expired_recordings,
    requeue_stale_calls,
)
from cti.users import make_engine
from provisioning.db import migrate
from provisioning.recordings import NewRecording, RecordingCatalogue, RecordingQuery
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec
from tests.cti.cti_redis_testkit import REDIS_URL


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingPaths]:
    made = RecordingPaths(
        f"sqlite:///{tmp_path / 'opencc.db'}",
        tmp_path / "archive",
        tmp_path / "recordings",
        f"test-recjobs-{uuid.uuid4().hex[:10]}",
    )
    engine = make_engine(made.database_url)
    migrate(engine)
    service = ProvisioningService(engine, lambda password: password)
    for tenant in ("short", "long"):
        spec = TenantSpec(tenant, tenant, f"{tenant}.test", datetime.now(UTC).date())
        service.ensure_tenant("test", spec)
    engine.dispose()
    for name, value in made.environment().items():
        monkeypatch.setenv(name, value)
    yield made
    job_queue(made.queue_name, Redis.from_url(REDIS_URL)).delete(delete_jobs=True)


def _work(paths: RecordingPaths) -> Queue:
    queue = job_queue(paths.queue_name, Redis.from_url(REDIS_URL))
    return queue


def test_the_purge_follows_each_tenants_retention(paths: RecordingPaths) -> None:
    catalogue = RecordingCatalogue(make_engine(paths.database_url))
    catalogue.set_retention_days("long", 365)
    now = datetime.now(UTC)
    for tenant in ("short", "long"):
        for age in (10, 100, 400):
            audio = Path(tenant) / f"{age}.opus"
            (paths.archive / audio).parent.mkdir(parents=True, exist_ok=True)
            (paths.archive / audio).write_bytes(b"OggS")
            catalogue.add(
                NewRecording(tenant, f"{age}", "1001", "a", "b", "", now - timedelta(days=age),
                             1.0, audio.as_posix())
            )  # fmt: skip
    queue = _work(paths)
    job = queue.enqueue(purge_expired_recordings)
    simple_worker([queue], queue.connection).work(burst=True)
    assert len(job.return_value() or []) == 3
    left = sorted(str(p.relative_to(paths.archive)) for p in paths.archive.rglob("*.opus"))
    assert left == ["long/10.opus", "long/100.opus", "short/10.opus"]
    assert catalogue.search("short", RecordingQuery())[0] == 1


def test_the_sweep_queues_a_call_whose_enqueueing_failed(paths: RecordingPaths) -> None:
    calls = paths.calls / "calls"
    calls.mkdir(parents=True)
    stale, fresh = calls / "1-1@h.json", calls / "1-2@h.json"
    for meta in (stale, fresh):
        meta.write_text('{"call_id": "x", "tenant": "short", "keep": false, "ended_at": 1}')
    old = time.time() - STALE_METADATA_SECONDS - 60
    os.utime(stale, (old, old))
    queue = _work(paths)
    queue.enqueue(requeue_stale_calls)
    simple_worker([queue], queue.connection).work(burst=True)
    assert not stale.exists(), "queued again and archived (nothing to keep: dropped)"
    assert fresh.exists(), "a call just ended waits for its own job"


def test_a_job_for_a_file_outside_the_recordings_is_refused(paths: RecordingPaths) -> None:
    with pytest.raises(ValueError, match="not a finished call"):
        archive_finished_call("/etc/passwd")

"""rq jobs of call recordings, run by the product's rq worker: archive a finished call (encode,
catalogue, clean up), purge what outlived its tenant's retention, and re-queue recordings whose
enqueueing failed. The worker finds the database and the archive in its environment
(`worker_environment`), never in the job's arguments: a database URL holds a password.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rq import Queue, Retry, get_current_job

from common.job_queues import job_queue
from common.redis_keys import recording_queue
from cti.users import make_engine
from pbx_core.recording.files import discard_sources, encode_finished_call
from provisioning.recordings import NewRecording, RecordingCatalogue

log = logging.getLogger(__name__)

DATABASE_ENV = "OPENCC_RECORDINGS_DATABASE_URL"
ARCHIVE_ENV = "OPENCC_RECORDINGS_ARCHIVE"
CALLS_ENV = "OPENCC_RECORDINGS_DIR"
PREFIX_ENV = "OPENCC_KEY_PREFIX"
RETRIES = Retry(max=3, interval=[5, 30, 120])
"""rtpengine may still be closing the pcap; the database may be restarting."""
STALE_METADATA_SECONDS = 600
"""A finished call's JSON older than this was never converted (its enqueueing failed)."""


@dataclass(frozen=True)
class RecordingPaths:
    database_url: str
    archive: Path
    """Where the Ogg Opus files live: `<archive>/<tenant>/<day>/<call-id>.opus`."""
    calls: Path
    """rtpengine's recording directory (pcaps/, metadata/) with the PBX's calls/ JSON."""
    key_prefix: str
    """The installation's Redis prefix: its recording queue is `recording_queue(prefix)`."""

    @property
    def queue_name(self) -> str:
        return recording_queue(self.key_prefix)

    def environment(self) -> dict[str, str]:
        """What the rq worker and the cron scheduler need in their environment."""
        return {
            DATABASE_ENV: self.database_url,
            ARCHIVE_ENV: str(self.archive),
            CALLS_ENV: str(self.calls),
            PREFIX_ENV: self.key_prefix,
        }

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> RecordingPaths:
        env = os.environ if env is None else env
        names = (DATABASE_ENV, ARCHIVE_ENV, CALLS_ENV, PREFIX_ENV)
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise RuntimeError(f"the recording jobs need {', '.join(missing)} in the environment")
        return cls(env[DATABASE_ENV], Path(env[ARCHIVE_ENV]), Path(env[CALLS_ENV]), env[PREFIX_ENV])


def _catalogue(paths: RecordingPaths) -> RecordingCatalogue:
    return RecordingCatalogue(make_engine(paths.database_url))


def archive_finished_call(metadata_path: str) -> int | None:
    """Job: the call's recording encoded and catalogued (its id), or dropped (None)."""
    paths = RecordingPaths.from_environment()
    meta = Path(metadata_path).resolve()
    if meta.parent != (paths.calls / "calls").resolve():
        raise ValueError(f"{metadata_path} is not a finished call of {paths.calls}")
    if not meta.exists():
        return None  # a retry after success, or swept already
    encoded = encode_finished_call(meta, paths.archive)
    recording_id = None
    if encoded is not None:
        data = encoded.metadata
        catalogue = _catalogue(paths)
        recording_id = catalogue.add(
            NewRecording(
                tenant=str(data["tenant"]),
                call_id=str(data["call_id"]),
                owner=str(data.get("extension", "")),
                caller=str(data.get("caller", ""))[:64],
                called=str(data.get("called", ""))[:64],
                call_center=str(data.get("call_center", "")),
                ended_at=encoded.ended_at,
                duration_seconds=encoded.duration_seconds,
                audio=encoded.audio.as_posix(),
            )
        )
    discard_sources(meta)  # only now: a failure above leaves everything for the retry
    return recording_id


def purge_expired_recordings() -> list[int]:
    """Job (nightly): delete every recording older than its tenant's retention, audio first."""
    paths = RecordingPaths.from_environment()
    catalogue = _catalogue(paths)
    removed: list[int] = []
    for recording in catalogue.expired(datetime.now(UTC)):
        (paths.archive / recording.audio).unlink(missing_ok=True)
        catalogue.delete(recording.tenant, recording.id)
        removed.append(recording.id)
    log.info("purged %d expired recordings", len(removed))
    return removed


def requeue_stale_calls() -> list[str]:
    """Job (every 15 minutes): enqueue again the finished calls whose enqueueing failed (Redis
    was down at call end), so no kept recording is lost."""
    paths = RecordingPaths.from_environment()
    job = get_current_job()
    assert job is not None, "runs as an rq job"
    cutoff = time.time() - STALE_METADATA_SECONDS
    stale = [p for p in (paths.calls / "calls").glob("*.json") if p.stat().st_mtime < cutoff]
    queue = job_queue(paths.queue_name, job.connection)
    for meta in stale:
        enqueue_archiving(queue, meta)
    return [str(p) for p in stale]


def enqueue_archiving(queue: Queue, metadata_path: Path) -> None:
    queue.enqueue(archive_finished_call, str(metadata_path), retry=RETRIES)

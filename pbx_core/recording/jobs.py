"""rq jobs for recordings: convert a finished call's pcap to WAV, purge old WAVs.

The PBX writes `<recordings_dir>/calls/<call-id>.json` when a recorded call ends
(call id, tenant, extension, `keep`). `enqueue_conversion` puts the conversion on an rq queue;
`register_retention_purge` schedules the purge with rq's CronScheduler. Recordings kept:
`<archive_dir>/<tenant>/<YYYY-MM-DD>/<call-id>.wav`. On-demand recordings whose call never
asked to keep them (*44 or the API) are deleted, audio and all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pbx_core.recording.pcap_to_wav import convert

DEFAULT_RETENTION_DAYS = 90
QUEUE_NAME = "recordings"


def safe_file_name(name: str) -> str:
    """A call id (or tenant) as a file name: no path separators or odd characters."""
    return "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in name)


def pcaps_of_call(recordings_dir: Path, call_id: str) -> list[Path]:
    """rtpengine names pcaps `<url-quoted call-id>-<random>.pcap`."""
    prefix = quote(call_id, safe="") + "-"
    return sorted(p for p in (recordings_dir / "pcaps").glob("*.pcap") if p.name.startswith(prefix))


def convert_finished_call(metadata_path: str, archive_dir: str) -> str | None:
    """Job: convert (or drop) the recording of one finished call; returns the WAV path."""
    meta_file = Path(metadata_path)
    metadata: dict[str, Any] = json.loads(meta_file.read_text())
    recordings_dir = meta_file.parent.parent
    pcaps = pcaps_of_call(recordings_dir, str(metadata["call_id"]))
    result: str | None = None
    if metadata.get("keep") and pcaps:
        day = datetime.fromtimestamp(meta_file.stat().st_mtime, UTC).strftime("%Y-%m-%d")
        target = (
            Path(archive_dir) / safe_file_name(str(metadata.get("tenant", "demo"))) / day
        ) / f"{safe_file_name(str(metadata['call_id']))}.wav"
        convert(pcaps[0], target)
        target.with_suffix(".json").write_text(json.dumps(metadata))
        result = str(target)
    for pcap in pcaps:
        pcap.unlink(missing_ok=True)
    meta_file.unlink(missing_ok=True)
    return result


def purge_expired_recordings(
    archive_dir: str,
    retention_days: Mapping[str, int] | None = None,
    default_days: int = DEFAULT_RETENTION_DAYS,
    now: float | None = None,
) -> list[str]:
    """Job: delete kept recordings older than their tenant's retention (90 or 365 days)."""
    now = time.time() if now is None else now
    retention = dict(retention_days or {})
    removed: list[str] = []
    root = Path(archive_dir)
    if not root.exists():
        return removed
    for tenant_dir in (d for d in root.iterdir() if d.is_dir()):
        days = retention.get(tenant_dir.name, default_days)
        cutoff = now - days * 86400
        for wav in tenant_dir.rglob("*.wav"):
            if wav.stat().st_mtime < cutoff:
                wav.unlink()
                wav.with_suffix(".json").unlink(missing_ok=True)
                removed.append(str(wav))
    return removed


def enqueue_conversion(queue: Any, metadata_path: Path, archive_dir: Path) -> Any:
    """Put one conversion on an rq `Queue` (retried: rtpengine may still be closing the pcap)."""
    from rq import Retry

    return queue.enqueue(
        convert_finished_call,
        str(metadata_path),
        str(archive_dir),
        retry=Retry(max=3, interval=[5, 30, 120]),
    )


def register_retention_purge(
    cron_scheduler: Any,
    archive_dir: Path,
    retention_days: Mapping[str, int],
    cron: str = "17 3 * * *",
) -> Any:
    """Schedule the nightly purge on an rq `CronScheduler`."""
    return cron_scheduler.register(
        purge_expired_recordings,
        queue_name=QUEUE_NAME,
        kwargs={"archive_dir": str(archive_dir), "retention_days": dict(retention_days)},
        cron=cron,
    )

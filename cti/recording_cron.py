"""The recordings' schedule, loaded by `python -m common.job_queues cron cti.recording_cron`
(the product starts it with the environment of `RecordingPaths.environment()`): the nightly
retention purge (seed "Bewaartermijn": 90 or 365 days per tenant) and the sweep of calls never
queued."""

from __future__ import annotations

from rq import cron

from cti.recording_archive import RecordingPaths, purge_expired_recordings, requeue_stale_calls

PURGE_CRON = "17 3 * * *"
"""Nightly, off the hour most jobs use."""
SWEEP_CRON = "*/15 * * * *"

_queue = RecordingPaths.from_environment().queue_name
cron.register(purge_expired_recordings, queue_name=_queue, cron=PURGE_CRON)
cron.register(requeue_stale_calls, queue_name=_queue, cron=SWEEP_CRON)

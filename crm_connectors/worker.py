"""Runs the CRM rq worker: sync and call-log jobs, with rq's scheduler for retries and schedules."""

from __future__ import annotations

from collections.abc import Sequence

from redis import Redis
from rq import Queue

from common.job_queues import job_queue, simple_worker
from crm_connectors.jobs import JobContext, set_job_context

#: The queue CRM jobs go to unless the caller picks another.
CRM_QUEUE = "crm"


def crm_queue(connection: Redis, name: str = CRM_QUEUE) -> Queue:
    return job_queue(name, connection)


def run_worker(
    connection: Redis,
    context: JobContext,
    queues: Sequence[str] = (CRM_QUEUE,),
    *,
    burst: bool = False,
) -> bool:
    """Work the CRM queues until stopped (or until empty with `burst`).

    A `SimpleWorker` (no fork per job) on purpose: OAuth2 token state lives in the context's
    `ConnectorFactory`, and Exact Online rotates its refresh token on every refresh, so a forked
    child would refresh with a token its siblings already spent. The jobs are short and I/O bound.
    """
    set_job_context(context)
    worker = simple_worker([job_queue(q, connection) for q in queues], connection)
    return bool(worker.work(burst=burst, with_scheduler=True))

"""rq in one place: every queue, worker and cron scheduler of the product reads and writes jobs as
JSON, never pickle (issue 19). rq's default serializer is pickle, so whoever can write to Redis
could hand a worker a payload that runs code while it is unpickled; a JSON job names its function
by its import path and carries only plain values, and a worker that meets anything else fails
that job without running it (tests/common/test_job_queues.py).

Build queues, workers and cron schedulers only here: a `Queue(...)` made elsewhere would pickle.

    python -m common.job_queues cron --url REDIS_URL CONFIG_MODULE

runs a cron scheduler (the product's `rq-cron` child): rq 3.0's own `rq cron` command and its
`CronJob.enqueue` always pickle, whatever the workers use.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from redis import Redis
from rq import Queue, SimpleWorker, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.utils import now

from common.redis_connect import UrlRedis, sync_client
from common.rq_worker import ParentBoundWorker

SERIALIZER = JSONSerializer
SERIALIZER_PATH = f"{SERIALIZER.__module__}.{SERIALIZER.__qualname__}"
"""What `rq worker --serializer` takes."""

WORKER_CLASS_PATH = f"{ParentBoundWorker.__module__}.{ParentBoundWorker.__qualname__}"
"""What `rq worker --worker-class` takes: forks that die with the worker (common/rq_worker.py)."""

CONNECTION_CLASS_PATH = f"{UrlRedis.__module__}.{UrlRedis.__qualname__}"
"""What `rq worker --connection-class` takes: `--url` may then be a Sentinel URL too
(common/redis_connect.py), one parser for every process instead of rq's `SENTINEL` settings."""


def job_queue(name: str, connection: Redis) -> Queue:
    return Queue(name, connection=connection, serializer=SERIALIZER)


def origin_queue(job: Job) -> Queue:
    """The queue a running job came from, for the job that chains its successor there."""
    return job_queue(job.origin, job.connection)


def simple_worker(queues: Sequence[Queue], connection: Redis) -> SimpleWorker:
    """A worker in this process (no fork per job): the CRM worker and the tests."""
    return SimpleWorker(list(queues), connection=connection, serializer=SERIALIZER)


def worker_command(redis_url: str, queues: Sequence[str]) -> list[str]:
    """The product's `rq worker` with rq's scheduler (the `enqueue_at`/`enqueue_in` chains)."""
    return [sys.executable, "-m", "rq.cli", "worker", "--with-scheduler",
            "--worker-class", WORKER_CLASS_PATH, "--connection-class", CONNECTION_CLASS_PATH,
            "--serializer", SERIALIZER_PATH, "--url", redis_url, *queues]  # fmt: skip


def cron_command(redis_url: str, config_module: str) -> list[str]:
    """A cron scheduler running the `rq.cron.register` calls of `config_module`."""
    return [sys.executable, "-m", __name__, "cron", "--url", redis_url, config_module]


def enqueue_cron_job(cron_job: CronJob, connection: Redis) -> Job:
    """What rq 3.0's `CronJob.enqueue` does (enqueue, record in the cron job's history), through
    a JSON queue: rq's method builds a pickling `Queue` of its own."""
    if cron_job.func is None:
        raise ValueError(f"cron job {cron_job.name} has no function (a monitoring copy)")
    queue = job_queue(cron_job.queue_name, connection)
    with connection.pipeline() as pipeline:
        job = queue.enqueue(
            cron_job.func,
            args=cron_job.args,
            kwargs=cron_job.kwargs,
            **cron_job.job_options,
            pipeline=pipeline,
        )
        assert job.enqueued_at is not None, "set by enqueue"
        stamp = job.enqueued_at.timestamp()
        pipeline.zadd(cron_job.job_history_key, {job.id: stamp})
        pipeline.zremrangebyrank(cron_job.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
        pipeline.expire(cron_job.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
        cron_job_registry.add(cron_job.name, pipeline, enqueue_timestamp=stamp)
        pipeline.execute()
    return job


class JsonCronScheduler(CronScheduler):
    """rq's cron scheduler whose due jobs go out through `enqueue_cron_job`."""

    def enqueue_jobs(self) -> list[CronJob]:
        moment = now()
        due: list[CronJob] = [job for job in self.get_jobs() if job.should_run()]
        for cron_job in due:
            enqueue_cron_job(cron_job, self.connection)
            cron_job.set_enqueue_time(moment)
        return due


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    commands = parser.add_subparsers(dest="command", required=True)
    cron = commands.add_parser("cron", help="run the cron jobs a config module registers")
    cron.add_argument("--url", required=True, help="Redis URL (common/redis_connect.py)")
    cron.add_argument("config", help="module calling rq.cron.register, e.g. cti.recording_cron")
    args = parser.parse_args(argv)
    scheduler = JsonCronScheduler(connection=sync_client(args.url))
    scheduler.load_config_from_file(args.config)
    scheduler.start()  # type: ignore[no-untyped-call]  # rq leaves this one unannotated


if __name__ == "__main__":
    main()

"""The product's rq worker (common/rq_worker.py) leaves no process behind, however it or its
parent dies, and a clean stop still lets the running job finish. Real rq worker processes on the
real Redis, started exactly as the product starts its `rq-worker` child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from redis import Redis
from rq.job import Job, JobStatus

from common.child_processes import dies_with_parent
from common.job_queues import SERIALIZER, job_queue, worker_command
from tests.common.test_job_queues import REDIS_URL, ROOT, _start, _wait_for, queue_name, redis
from tests.e2e.test_product_orphans import alive, command, descendants

__all__ = ["queue_name", "redis"]  # fixtures

LONG_JOB_SECONDS = 300
"""Far longer than any wait below: a worker that waits for this job to end fails the test."""


def _status_is(job: Job, redis: Redis, status: JobStatus) -> Callable[[], bool]:
    return lambda: Job.fetch(job.id, redis, SERIALIZER).get_status(refresh=False) == status


def _worker_processes(root: int, log: Path) -> set[int]:
    """The worker, its scheduler and its horse (three `rq.cli` processes once a job runs)."""
    found: set[int] = set()

    def three() -> bool:
        found.clear()
        found.update(pid for pid in {root, *descendants(root)} if "rq.cli" in command(pid))
        return len(found) >= 3

    _wait_for("worker, scheduler and horse running", three, log)
    return set(found)


def _all_gone(pids: set[int], log: Path) -> None:
    _wait_for(
        f"{ {pid: command(pid) for pid in pids if alive(pid)} } gone",
        lambda: not any(alive(pid) for pid in pids),
        log,
        timeout=20,
    )


def _kill_left(pids: set[int]) -> None:
    """Whatever a failed test left running."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_products_death_mid_job_takes_worker_scheduler_and_horse_with_it(
    redis: Redis, queue_name: str, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    argv = dies_with_parent(worker_command(REDIS_URL, [queue_name]))
    # A stand-in for the product: it starts the worker as the product does, then is killed.
    product = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time\n"
         f"subprocess.Popen({argv!r}, stdout=open({str(log)!r}, 'wb'), stderr=subprocess.STDOUT)\n"
         "time.sleep(600)\n"],
        cwd=ROOT,
    )  # fmt: skip
    pids: set[int] = set()
    try:
        job = job_queue(queue_name, redis).enqueue("time.sleep", LONG_JOB_SECONDS)
        _wait_for("the long job started", _status_is(job, redis, JobStatus.STARTED), log)
        pids = _worker_processes(product.pid, log)
        product.send_signal(signal.SIGKILL)
        product.wait(timeout=10)
        _all_gone(pids, log)
        assert "cold shut down" in log.read_text()
    finally:
        if product.poll() is None:
            product.kill()
        _kill_left(pids)


def test_a_killed_worker_leaves_neither_its_scheduler_nor_its_horse(
    redis: Redis, queue_name: str, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    worker = _start(worker_command(REDIS_URL, [queue_name]), log)
    pids: set[int] = set()
    try:
        job = job_queue(queue_name, redis).enqueue("time.sleep", LONG_JOB_SECONDS)
        _wait_for("the long job started", _status_is(job, redis, JobStatus.STARTED), log)
        pids = _worker_processes(worker.pid, log)
        worker.send_signal(signal.SIGKILL)  # no handler runs: only the kernel can clean up
        worker.wait(timeout=10)
        _all_gone(pids, log)
    finally:
        if worker.poll() is None:
            worker.kill()
        _kill_left(pids)


def test_a_clean_stop_still_lets_the_running_job_finish(
    redis: Redis, queue_name: str, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    worker = _start(worker_command(REDIS_URL, [queue_name]), log)
    try:
        job = job_queue(queue_name, redis).enqueue("time.sleep", 3)
        _wait_for("the job started", _status_is(job, redis, JobStatus.STARTED), log)
        worker.send_signal(signal.SIGTERM)  # the product's own stop: its parent is alive
        worker.wait(timeout=60)
        assert Job.fetch(job.id, redis, SERIALIZER).get_status() == JobStatus.FINISHED
        assert "cold shut down" not in log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()

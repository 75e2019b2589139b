"""rq jobs are JSON (common/job_queues.py, issue 19): write access to Redis is not code execution
in the product's worker. The attacks are real pickle payloads, put into Redis as an attacker with
rq at hand would (a pickling queue), each one creating a marker file when unpickled; the product's
own worker command (`rq worker --serializer ...JSONSerializer`) runs against them on the real
Redis, and must fail them without running them, and go on working."""

from __future__ import annotations

import json
import pickle
import subprocess
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import PickleSerializer

from common.job_queues import SERIALIZER, cron_command, job_queue, worker_command

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]


class CreatesFile:
    """Unpickled, this opens (creates) `path`: what `pickle.loads` runs is the payload's choice."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str, str]]:
        return (open, (str(self.path), "w"))


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def queue_name(redis: Redis) -> Iterator[str]:
    name = f"test-json-jobs-{uuid.uuid4().hex[:12]}"
    yield name
    for key in redis.scan_iter("rq:job:*", count=1000):
        if redis.type(key) == b"hash" and redis.hget(key, "origin") == name.encode():
            redis.delete(key, key.replace(b"rq:job:", b"rq:results:"))
    for key in redis.scan_iter(f"*{name}*", count=1000):
        redis.delete(key)


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_for(what: str, condition: Callable[[], bool], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what}\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def test_the_worker_runs_no_pickle_payload_and_goes_on_working(
    redis: Redis, queue_name: str, tmp_path: Path
) -> None:
    markers = {where: tmp_path / f"{where}.marker" for where in ("args", "meta", "scheduled")}
    attacker = Queue(queue_name, connection=redis, serializer=PickleSerializer)
    # A job whose arguments are the payload.
    in_args = attacker.enqueue("builtins.len", CreatesFile(markers["args"]))
    # A harmless JSON job whose meta field the attacker overwrote with a pickle.
    in_meta = job_queue(queue_name, redis).enqueue("builtins.max", 1, 2)
    redis.hset(in_meta.key, "meta", pickle.dumps({"x": CreatesFile(markers["meta"])}))
    # One the worker's scheduler (`--with-scheduler`) moves to the queue first.
    scheduled = attacker.enqueue_at(
        datetime.now(UTC) - timedelta(seconds=1), "builtins.len", CreatesFile(markers["scheduled"])
    )
    # The payloads are live: unpickling one of them (a copy, here) creates its marker.
    armed = tmp_path / "armed.marker"
    pickle.loads(pickle.dumps(CreatesFile(armed)))  # the attack, on purpose
    assert armed.exists()

    log = tmp_path / "worker.log"
    worker = _start(worker_command(REDIS_URL, [queue_name]), log)
    try:
        queue = job_queue(queue_name, redis)

        def ended(job: Job, *how: JobStatus) -> Callable[[], bool]:
            return lambda: Job.fetch(job.id, redis, SERIALIZER).get_status(refresh=False) in how

        for job in (in_args, scheduled):
            _wait_for(f"{job.id} failed", ended(job, JobStatus.FAILED), log)
            assert job.id in queue.failed_job_registry.get_job_ids()
        _wait_for("the meta job ended", ended(in_meta, JobStatus.FINISHED, JobStatus.FAILED), log)
        good = queue.enqueue("builtins.max", 2, 7)
        _wait_for("a JSON job after the attacks", ended(good, JobStatus.FINISHED), log)
        assert good.return_value() == 7
        assert worker.poll() is None, log.read_text()[-3000:]
    finally:
        _stop(worker)
    assert [path.name for path in markers.values() if path.exists()] == []
    assert "DeserializationError" in log.read_text()


def test_the_cron_scheduler_enqueues_json_jobs_the_worker_runs(
    redis: Redis, queue_name: str, tmp_path: Path
) -> None:
    config = tmp_path / "cron_config.py"
    config.write_text(
        "from rq import cron\n"
        f"cron.register(max, queue_name={queue_name!r}, args=(2, 7), interval=3600)\n"
    )
    log = tmp_path / "cron.log"
    scheduler = _start(cron_command(REDIS_URL, str(config)), log)
    queue = job_queue(queue_name, redis)
    try:
        _wait_for("the cron job enqueued", lambda: queue.count == 1, log)
    finally:
        _stop(scheduler)
    [job_id] = queue.job_ids
    data = redis.hget(f"rq:job:{job_id}", "data")
    assert isinstance(data, bytes)
    assert json.loads(zlib.decompress(data)) == ["builtins.max", None, [2, 7], {}]

    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as out:
        done = subprocess.run(
            [*worker_command(REDIS_URL, [queue_name]), "--burst"],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, worker_log.read_text()[-3000:]
    job = Job.fetch(job_id, redis, SERIALIZER)
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == 7

"""`kill -9` of each child process of the running product: the supervisor starts it again and
it serves (issue 20, process supervision): rtpengine answers an ng ping on the port the PBX
knows, the rq worker runs a job, the report ingester ingests a record exactly once; and no
second generation runs beside the new one."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from sqlalchemy import func, select

from common.job_queues import SERIALIZER_PATH, job_queue
from common.redis_keys import cdr_stream
from pbx_core.media.ng_client import NgClient
from reports.db import make_engine
from reports.models import CallDetailRecord
from reports.synthetic import call_detail
from tests.e2e.test_product_orphans import alive, command, descendants, parent
from tests.pbx_core.support import free_port, free_sip_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
CHILDREN = {  # supervised name -> what its command line holds
    "rtpengine": "rtpengine",
    "rq-worker": "rq.cli worker",
    "rq-cron": "common.job_queues cron",
    "report-ingester": "reports.ingest",
}


class RunningProduct:
    def __init__(self, process: subprocess.Popen[bytes], http_port: int, var: Path, prefix: str):
        self.process = process
        self.base = f"http://127.0.0.1:{http_port}"
        self.var = var
        self.prefix = prefix

    def processes(self) -> dict[str, dict[str, Any]]:
        answer = httpx.get(f"{self.base}/healthz/processes", timeout=5)
        return {p["name"]: p for p in answer.json()["processes"]}

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, (self.var / "product.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"timed out: {what}"
            time.sleep(0.2)

    def generations(self, marker: str) -> int:
        """How many generations of a child run: the product's own children running it. What a
        child forks is not another generation, though it may lead a process group of its own
        (rq's work horse, while it runs a job, does) or run the same command line."""
        return sum(
            1
            for pid in descendants(self.process.pid)
            if parent(pid) == self.process.pid and alive(pid) and marker in command(pid)
        )


@pytest.fixture
def product(tmp_path: Path) -> Iterator[RunningProduct]:
    http_port = free_port(socket.SOCK_STREAM)
    var = tmp_path / "var"
    var.mkdir()
    prefix = f"test-supervision-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "OPENCC_HTTP_PORT": str(http_port),
        "OPENCC_SIP_PORT": str(free_sip_port()),
        "OPENCC_SIP_WS_PORT": str(
            free_port(socket.SOCK_STREAM)
        ),  # not 5066: tests run side by side
        "OPENCC_VAR_DIR": str(var),
        "OPENCC_KEY_PREFIX": prefix,
        "OPENCC_METRICS_TOKEN": "supervision-test",
        "REDIS_URL": REDIS_URL,
        # Products of tests side by side would share one rtpengine session DB (each restores
        # all of it): their rtpengines keep none, as before.
        "OPENCC_RTPENGINE_REDIS_DB": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cti.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(var / "product.log").open("wb"),
    )
    running = RunningProduct(process, http_port, var, prefix)
    started: set[int] = set()
    try:

        def all_running() -> bool:
            try:
                return httpx.get(f"{running.base}/healthz/processes", timeout=2).is_success
            except httpx.HTTPError:
                return False

        running.wait_for("every child serving", all_running, timeout=180)
        started = descendants(process.pid)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in started | descendants(process.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _kill_and_wait_for_the_next(product: RunningProduct, name: str) -> int:
    before = product.processes()[name]
    os.kill(before["pid"], signal.SIGKILL)

    def restarted() -> bool:
        now = product.processes()[name]
        return bool(now["status"] == "running" and now["restarts"] == before["restarts"] + 1)

    product.wait_for(f"{name} restarted", restarted)
    after = product.processes()[name]
    assert after["pid"] != before["pid"]
    assert not alive(before["pid"])
    return int(after["pid"])


def test_each_child_killed_comes_back_and_serves(product: RunningProduct) -> None:
    for marker in CHILDREN.values():
        assert product.generations(marker) == 1, marker

    # rtpengine: the new one listens where the PBX sends its ng commands.
    ng_port = int(command(product.processes()["rtpengine"]["pid"]).split("--listen-ng=")[1]
                  .split()[0].rsplit(":", 1)[1])  # fmt: skip
    new_pid = _kill_and_wait_for_the_next(product, "rtpengine")
    assert f"--listen-ng=127.0.0.1:{ng_port}" in command(new_pid)
    client = NgClient("127.0.0.1", ng_port, timeout=1.0, retries=2)
    try:
        assert client.ping()
    finally:
        client.close()

    # The rq worker (and the scheduler it forked: a leftover would be a second consumer); each
    # generation reads JSON jobs only (issue 19).
    worker_pid = _kill_and_wait_for_the_next(product, "rq-worker")
    assert f"--serializer {SERIALIZER_PATH}" in command(worker_pid)
    with Redis.from_url(REDIS_URL) as redis:
        job = job_queue("default", redis).enqueue("builtins.max", 2, 7)
        product.wait_for("the job ran", lambda: job.get_status(refresh=True) == "finished")
        assert job.return_value() == 7

        # The report ingester picks up where it stopped, exactly once.
        _kill_and_wait_for_the_next(product, "report-ingester")
        call_id = f"supervision-{uuid.uuid4().hex[:8]}"
        now = time.time()
        record = call_detail(
            call_id, caller="+31201234567", called="2001", direction="inbound",
            start=now - 30, answer=now - 20, end=now,
        )  # fmt: skip
        redis.xadd(cdr_stream(product.prefix, "demo"), {"event": json.dumps(record)})
        reports = make_engine(f"sqlite:///{product.var / 'opencc.db'}")
        try:

            def ingested() -> int:
                with reports.connect() as connection:
                    return int(
                        connection.execute(
                            select(func.count()).where(CallDetailRecord.call_id == call_id)
                        ).scalar_one()
                    )

            product.wait_for("the record ingested", lambda: ingested() == 1)
        finally:
            reports.dispose()

    _kill_and_wait_for_the_next(product, "rq-cron")
    for marker in CHILDREN.values():
        assert product.generations(marker) == 1, marker

    metrics = httpx.get(
        f"{product.base}/metrics",
        headers={"Authorization": "Bearer supervision-test"},
        timeout=10,
    ).text
    for name in CHILDREN:
        assert f'opencc_process_up{{process="{name}"}} 1.0' in metrics
        assert f'opencc_process_restarts_total{{process="{name}"}} 1.0' in metrics

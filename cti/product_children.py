"""The product's child processes as supervised children (common/supervision.py): how each is
started and how its health is checked (issue 20, process supervision).

| child | health check |
|---|---|
| `rtpengine` | answers an ng `ping` on its port (a restart keeps the port the PBX knows) |
| `rq-worker` | registered in Redis under its own pid (rq does that once it listens) |
| `rq-cron` | runs |
| `report-ingester` | runs (it waits out Redis and database outages itself) |
| `redis` (only without a Redis to use) | answers PING |

Every child is exec'd through `dies_with_parent`, so none outlives the product.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from redis import Redis
from rq import Worker

from common.child_processes import dies_with_parent
from common.job_queues import worker_command
from common.supervision import ChildSpec, Process, Supervisor
from pbx_core.media.rtpengine_process import RtpengineProcess, answers_ping, start_rtpengine

RTPENGINE = "rtpengine"
RQ_WORKER = "rq-worker"
RQ_CRON = "rq-cron"
REPORT_INGESTER = "report-ingester"
PRIVATE_REDIS = "redis"


class SupervisedRtpengine:
    """rtpengine on fixed ports: the first start picks free ones, every restart reuses them (the
    PBX's ng client keeps its address). Calls' media sessions die with a crashed rtpengine."""

    def __init__(self, work_dir: Path, recording_dir: Path, dtmf_log_port: int) -> None:
        self._work_dir = work_dir
        self._recording_dir = recording_dir
        self._dtmf_log_port = dtmf_log_port
        self.current: RtpengineProcess | None = None

    def start(self) -> Process:
        previous = self.current
        self.current = start_rtpengine(
            self._work_dir,
            recording_dir=self._recording_dir,
            dtmf_log_port=self._dtmf_log_port,
            ng_port=previous.ng_port if previous else None,
            port_range=(previous.port_min, previous.port_max) if previous else None,
        )
        return self.current.process

    def healthy(self, process: Process) -> bool:
        current = self.current
        return current is not None and answers_ping(current.host, current.ng_port)

    def spec(self) -> ChildSpec:
        return ChildSpec(RTPENGINE, self.start, self.healthy)


def rq_worker_spec(redis_url: str, queues: list[str], env: Mapping[str, str]) -> ChildSpec:
    def start() -> Process:
        return subprocess.Popen(
            dies_with_parent(worker_command(redis_url, queues)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )  # fmt: skip

    def registered(process: Process) -> bool:
        with Redis.from_url(redis_url, socket_timeout=1.0) as redis:
            return any(worker.pid == process.pid for worker in Worker.all(connection=redis))

    return ChildSpec(RQ_WORKER, start, registered)


def python_module_spec(name: str, argv: list[str], env: Mapping[str, str], log: Path) -> ChildSpec:
    """A `python -m ...` child whose health is that it runs; its stderr appends to `log`."""

    def start() -> Process:
        with log.open("ab") as stderr:
            return subprocess.Popen(
                dies_with_parent([sys.executable, "-m", *argv]),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=dict(env),
                start_new_session=True,
            )

    return ChildSpec(name, start)


def private_redis_spec(port: int, var_dir: Path) -> ChildSpec:
    """A redis-server of the product's own (no persistence: a restart starts it empty)."""

    def start() -> Process:
        return subprocess.Popen(
            dies_with_parent([shutil.which("redis-server") or "redis-server", "--port", str(port),
                              "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(var_dir)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def answers(process: Process) -> bool:
        with Redis(host="127.0.0.1", port=port, socket_timeout=1.0) as redis:
            return bool(redis.ping())

    return ChildSpec(PRIVATE_REDIS, start, answers)


def redis_answers(url: str) -> bool:
    """Whether a Redis answers PING at `url` (the one the product is told, or the default)."""
    try:
        client = Redis.from_url(url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _free_tcp_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def start_private_redis(var_dir: Path, supervisor: Supervisor) -> str:
    """A supervised redis-server of the product's own on a free port; its URL once it answers."""
    port = _free_tcp_port("127.0.0.1")
    await supervisor.supervise(private_redis_spec(port, var_dir))
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if redis_answers(url):
            return url
        await asyncio.sleep(0.1)
    raise RuntimeError("could not start a private redis-server")

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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from redis import Redis
from rq import Worker

from common.child_processes import dies_with_parent
from common.job_queues import worker_command
from common.redis_connect import SENTINEL_SCHEME, is_sentinel_url, sync_client
from common.supervision import ChildSpec, Process, Supervisor
from pbx_core.config import RtpengineAddress
from pbx_core.media.rtpengine_process import (
    RedisTarget,
    RtpengineProcess,
    answers_ping,
    free_udp_port,
    start_rtpengine,
)

RTPENGINE = "rtpengine"
RQ_WORKER = "rq-worker"
RQ_CRON = "rq-cron"
REPORT_INGESTER = "report-ingester"
PRIVATE_REDIS = "redis"

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
"""The product's Redis when `REDIS_URL` is unset (a private one, if this does not answer)."""
RTPENGINE_REDIS_DB_ENV = "OPENCC_RTPENGINE_REDIS_DB"
DEFAULT_RTPENGINE_REDIS_DB = 15
"""The last of Redis's 16 default DBs: the product keeps its own data in the DB of `REDIS_URL`
(0 by default), and rtpengine restores every call of its DB at start, so it gets one to itself."""


def rtpengine_redis_db(text: str | None) -> int | None:
    """`OPENCC_RTPENGINE_REDIS_DB`: unset, the default DB; `off`: rtpengine keeps no sessions
    (a crash of it then silences the calls in progress)."""
    if text is None or text.strip() == "":
        return DEFAULT_RTPENGINE_REDIS_DB
    if text.strip().lower() == "off":
        return None
    if not text.strip().isdigit():
        raise ValueError(
            f"{RTPENGINE_REDIS_DB_ENV}={text!r}: give a Redis DB number (e.g. 15) or off"
        )
    return int(text)


def rtpengine_redis_target(redis_url: str, db: int | None) -> RedisTarget | None:
    """rtpengine's sessions on the product's Redis host and port, in DB `db` (None: none).

    Refused when `db` is the product's own DB: rtpengine would restore the product's keys as
    calls at start, and nothing else may write to its DB either."""
    if db is None:
        return None
    if is_sentinel_url(redis_url):
        # rtpengine's --redis is one fixed [PW@]IP:PORT/DB: after a failover it would write to
        # a read-only replica. Its sessions need no failover, only to outlive rtpengine.
        raise ValueError(
            f"rtpengine cannot keep its sessions behind Sentinel ({SENTINEL_SCHEME}:// REDIS_URL):"
            f" set {RTPENGINE_REDIS_DB_ENV}=off, or run rtpengine as its own service with its"
            " sessions on a Redis of its machine (docs/deploy.md, 'Redis with Sentinel')"
        )
    url = urlsplit(redis_url)
    own_db = int(url.path.strip("/") or "0")
    if db == own_db:
        raise ValueError(
            f"{RTPENGINE_REDIS_DB_ENV}={db} is the DB of REDIS_URL ({redis_url}): rtpengine "
            "needs a Redis DB of its own (it restores every call in it at start); choose another"
        )
    if url.scheme not in ("redis", "") or url.username or url.password:
        # rtpengine's --redis takes [PW@]IP:PORT/DB, no TLS and no user name.
        raise ValueError(
            f"rtpengine cannot keep its sessions on {redis_url}: set {RTPENGINE_REDIS_DB_ENV}=off"
            " or give a plain redis:// URL without credentials"
        )
    return RedisTarget(url.hostname or "127.0.0.1", url.port or 6379, db)


class SupervisedRtpengine:
    """rtpengine on fixed ports: the first start picks free ones, every restart reuses them (the
    PBX's ng client keeps its address). With `redis` the calls' media sessions are kept there
    and a restart after a crash restores them on the same ports; without, they die with it."""

    def __init__(
        self,
        work_dir: Path,
        recording_dir: Path,
        dtmf_log_port: int,
        redis: RedisTarget | None = None,
    ) -> None:
        self._work_dir = work_dir
        self._recording_dir = recording_dir
        self._dtmf_log_port = dtmf_log_port
        self._redis = redis
        self.current: RtpengineProcess | None = None

    def start(self) -> Process:
        previous = self.current
        self.current = start_rtpengine(
            self._work_dir,
            recording_dir=self._recording_dir,
            dtmf_log_port=self._dtmf_log_port,
            ng_port=previous.ng_port if previous else None,
            port_range=(previous.port_min, previous.port_max) if previous else None,
            redis=self._redis,
        )
        return self.current.process

    def healthy(self, process: Process) -> bool:
        current = self.current
        return current is not None and answers_ping(current.host, current.ng_port)

    def spec(self) -> ChildSpec:
        return ChildSpec(RTPENGINE, self.start, self.healthy)


def rtpengine_address(text: str | None) -> RtpengineAddress | None:
    """`OPENCC_RTPENGINE` (host:ng-port) as an address; unset: the product runs its own."""
    if not text:
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"OPENCC_RTPENGINE={text!r}: give host:port, e.g. 127.0.0.1:2223")
    return RtpengineAddress(host, int(port))


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
        with sync_client(redis_url, socket_timeout=1.0) as redis:
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
        client = sync_client(url, socket_connect_timeout=0.5)
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


@dataclass(frozen=True, slots=True)
class Media:
    """What the PBX is told about rtpengine (all None: no media)."""

    address: RtpengineAddress | None
    recordings: Path | None
    dtmf_port: int | None
    own: SupervisedRtpengine | None
    """The product's own rtpengine child, when it runs one."""


async def start_media(
    media: bool,
    given: RtpengineAddress | None,
    given_dtmf_port: int | None,
    host: str,
    var: Path,
    redis_url: str,
    sessions_db: int | None,
    supervisor: Supervisor,
) -> Media:
    """rtpengine for the product: the one `given` (a service of its own, which outlives the
    product: docs/deploy.md), or a supervised child of the product's own."""
    if not media:
        return Media(None, None, None, None)
    if given is not None:
        return Media(given, var / "recordings", given_dtmf_port, None)
    sessions = rtpengine_redis_target(redis_url, sessions_db)  # its calls kept in Redis
    dtmf_port = free_udp_port(host)  # rtpengine's DTMF feed is UDP
    rtpengine = SupervisedRtpengine(var / "rtpengine", var / "recordings", dtmf_port, sessions)
    await supervisor.supervise(rtpengine.spec())
    assert rtpengine.current is not None
    address = RtpengineAddress(rtpengine.current.host, rtpengine.current.ng_port)
    return Media(address, rtpengine.current.recording_dir, dtmf_port, rtpengine)

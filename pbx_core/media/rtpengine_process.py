"""Start and stop a private rtpengine (userspace forwarding, no kernel module) on free ports.

`make demo`, the tests and the benchmark each run their own instance; a systemd-started
rtpengine is never relied on.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from common.child_processes import dies_with_parent
from pbx_core.media.ng_client import NgClient, NgError


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


REDIS_COMMAND_TIMEOUT_MS = 200
REDIS_DISABLE_SECONDS = 10


@dataclass(frozen=True)
class RedisTarget:
    """Where rtpengine keeps its calls' media sessions (`--redis`): a Redis DB of its own.

    rtpengine restores EVERY call it finds in that DB at start, so one DB serves exactly one
    rtpengine instance (and its restarts) and nothing else writes to it."""

    host: str
    port: int
    db: int

    def option(self) -> str:
        return f"{self.host}:{self.port}/{self.db}"


@dataclass
class RtpengineProcess:
    host: str
    ng_port: int
    port_min: int
    port_max: int
    recording_dir: Path | None
    dtmf_log_port: int | None
    process: subprocess.Popen[bytes]
    log_path: Path
    redis: RedisTarget | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_rtpengine(
    work_dir: Path,
    *,
    host: str = "127.0.0.1",
    port_range: tuple[int, int] | None = None,
    recording_dir: Path | None = None,
    dtmf_log_port: int | None = None,
    binary: str = "rtpengine",
    ng_port: int | None = None,
    redis: RedisTarget | None = None,
) -> RtpengineProcess:
    """`ng_port` None: a free one; a restarted instance takes its predecessor's, which the PBX
    knows. `redis`: keep the media sessions there; an instance started on the same ports and DB
    after a crash restores them and forwards the calls' media again (docs/deploy.md)."""
    exe = shutil.which(binary) or "/usr/bin/rtpengine"
    work_dir.mkdir(parents=True, exist_ok=True)
    ng_port = ng_port or free_udp_port(host)
    if port_range is None:
        # A random window, so parallel test runs and the demo do not fight over RTP ports.
        base = 20000 + (os.getpid() * 7 + ng_port) % 30000 // 2 * 2
        port_range = (base, base + 1998)
    args = [
        exe,
        # Never read /etc/rtpengine/rtpengine.conf: its fixed CLI/HTTP ports (2224, 2225) make a
        # second instance (parallel tests, the demo beside a test run) fail to start.
        "--config-file=none",
        "--foreground",
        "--table=-1",
        f"--interface={host}",
        f"--listen-ng={host}:{ng_port}",
        f"--port-min={port_range[0]}",
        f"--port-max={port_range[1]}",
        f"--pidfile={work_dir / 'rtpengine.pid'}",
        "--log-stderr",
        "--log-level=5",
        "--delete-delay=0",
        "--no-fallback",
    ]
    if recording_dir is not None:
        recording_dir.mkdir(parents=True, exist_ok=True)
        args += [
            f"--recording-dir={recording_dir}",
            "--recording-method=pcap",
            "--recording-format=raw",
        ]
    if dtmf_log_port is not None:
        args.append(f"--dtmf-log-dest={host}:{dtmf_log_port}")
    if redis is not None:
        args += [
            # Read at start (restore) and written on every offer/answer/delete.
            f"--redis={redis.option()}",
            # A Redis outage must not keep media down: rtpengine starts without it (and then
            # has nothing to restore) rather than failing its supervised restarts.
            "--no-redis-required",
            # A Redis that hangs (a partition, a stopped server) must not hold up calls: each
            # session write gives up after 200 ms, and after the first error rtpengine stops
            # writing for 10 s instead of paying that on every offer (measured: without these an
            # offer waited on Redis for the whole 30 s outage, and new calls got no media).
            f"--redis-cmd-timeout={REDIS_COMMAND_TIMEOUT_MS}",
            f"--redis-connect-timeout={REDIS_COMMAND_TIMEOUT_MS}",
            "--redis-allowed-errors=1",
            f"--redis-disable-time={REDIS_DISABLE_SECONDS}",
        ]
    log_path = work_dir / "rtpengine.log"
    # "ab": a restarted instance's log follows its predecessor's.
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            dies_with_parent(args),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_raise_open_files_limit,
        )
    instance = RtpengineProcess(
        host=host,
        ng_port=ng_port,
        port_min=port_range[0],
        port_max=port_range[1],
        recording_dir=recording_dir,
        dtmf_log_port=dtmf_log_port,
        process=process,
        log_path=log_path,
        redis=redis,
    )
    _wait_until_ready(instance)
    return instance


def answers_ping(host: str, ng_port: int) -> bool:
    """rtpengine's health: it answers an ng `ping` within a second."""
    client = NgClient(host, ng_port, timeout=0.5, retries=1)
    try:
        return client.ping()
    except (NgError, OSError):
        return False
    finally:
        client.close()


def _raise_open_files_limit() -> None:
    """rtpengine needs about 4 sockets per call (architecture.md: `ulimit -n` >= 16384)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _wait_until_ready(instance: RtpengineProcess, timeout: float = 10.0) -> None:
    client = NgClient(instance.host, instance.ng_port, timeout=0.2, retries=0)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if instance.process.poll() is not None:
                raise RuntimeError(
                    f"rtpengine exited: {instance.log_path.read_text(errors='replace')[-2000:]}"
                )
            with contextlib.suppress(NgError, OSError):
                if client.ping():
                    return
            time.sleep(0.05)
    finally:
        client.close()
    instance.stop()
    raise RuntimeError("rtpengine did not answer ping")

"""A stand-alone API process for the chaos harness's `api` fault (bench/chaos.py): an API node
of the scaled-out layout (docs/deploy.md, "API nodes stateless behind any HTTP balancer").

`python -m cti.serve` on a free port of its own, with the product's environment: the same
Redis URL and key prefix, the same database, the same var folder and so the same token secret
(`$OPENCC_VAR_DIR/token_secret`). It runs no engine: queries and subscriptions work from Redis,
and call-center commands (the agents' `setAgentState`) are relayed to the product, the lease
holder (`cti/engine_command_relay.py`).

The fault: `kill -9` of the API process, then a new one on the same port `RESTART_SECONDS`
later, as systemd's `Restart=always` with `RestartSec=1` would start it. The restart runs on a
thread of its own so that the harness's probe calls measure the PBX meanwhile; the thread lives
as long as the harness, because a child started with `dies_with_parent` dies with the thread
that started it. `answers_after` is the seconds from the kill until the new process answers
`/healthz` (what an HTTP balancer probes).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx

from common.child_processes import dies_with_parent, stop_child
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
RESTART_SECONDS = 1.0
"""From the kill to the new process's start: systemd's `RestartSec=1` (`opencc.service`'s)."""
START_SECONDS = 120.0
"""Longest wait for a process to answer: its imports on a loaded machine."""


class ApiProcess:
    """`python -m cti.serve` beside the product, on the product's Redis and database."""

    def __init__(self, var: Path, environment: Mapping[str, str]) -> None:
        self.port = free_port(socket.SOCK_STREAM)
        self.base = f"http://127.0.0.1:{self.port}"
        self._environment = dict(environment)
        self._log_path = var / "api.log"
        self._log = self._log_path.open("ab")
        self._restarter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-restart")
        self._back: Future[float] | None = None
        self.killed_at: float | None = None
        """`time.monotonic()` of the last kill; None before the fault."""
        self.process = self._restarter.submit(self._start_answering).result()

    def _start_answering(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            dies_with_parent([sys.executable, "-m", "cti.serve", "--port", str(self.port)]),
            cwd=ROOT, env=self._environment, stdout=subprocess.DEVNULL, stderr=self._log,
        )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while not self.answering():
            if process.poll() is not None or time.monotonic() > deadline:
                log = self._log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the API process did not answer:\n{log}")
            time.sleep(0.05)
        return process

    def answering(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz", timeout=2).is_success
        except httpx.HTTPError:
            return False

    def crash_and_restart(self) -> None:
        """`kill -9` now; a new process starts `RESTART_SECONDS` after the kill, on the restart
        thread (returns at once)."""
        self.killed_at = time.monotonic()
        self.process.kill()
        self.process.wait()
        self._back = self._restarter.submit(self._restart)

    def _restart(self) -> float:
        assert self.killed_at is not None
        time.sleep(max(self.killed_at + RESTART_SECONDS - time.monotonic(), 0.0))
        self.process = self._start_answering()
        return time.monotonic() - self.killed_at

    def answers_after(self) -> float:
        """Seconds from the last kill until the restarted process answered `/healthz`."""
        assert self._back is not None, "crash_and_restart first"
        return self._back.result(timeout=START_SECONDS + RESTART_SECONDS)

    def stop(self) -> None:
        if self._back is not None:
            self._back.exception(timeout=START_SECONDS + RESTART_SECONDS)
        stop_child(self.process)
        self._restarter.shutdown()
        self._log.close()

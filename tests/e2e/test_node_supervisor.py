"""`make demo`'s node supervisor (cti/node_supervisor.py): rtpengine outlives a `kill -9` of the
product, which is started again from its warm standby (cti/warm_standby.py) and serves with that
same rtpengine; `kill -9` of the node supervisor itself still leaves nothing running, standby
included (issue 20)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.e2e.test_product_orphans import alive, command, descendants, parent
from tests.pbx_core.support import free_port, free_sip_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
STANDBY_READY = re.compile(r"warm standby (\d+) ready")


def serving(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).is_success
    except httpx.HTTPError:
        return False


def runs(pid: int, program: str) -> bool:
    """Whether `pid` runs `program` (an executable's name or a Python module), whatever the
    paths in its arguments say (this test's own folder is named after rtpengine)."""
    return any(Path(arg).name == program for arg in command(pid).split())


def wait_until(what: str, condition: Callable[[], bool], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what}\n{log.read_text()[-3000:]}"
        time.sleep(0.3)


def wait_for_standby(log: Path, known: set[int]) -> int:
    """The pid of a warm standby (cti/warm_standby.py) not in `known` that says it is ready."""
    found: list[int] = []

    def ready() -> bool:
        found[:] = [int(pid) for pid in STANDBY_READY.findall(log.read_text(errors="replace"))
                    if int(pid) not in known]  # fmt: skip
        return bool(found)

    wait_until("a warm standby is ready", ready, log)
    return found[0]


def test_rtpengine_outlives_the_product_and_nothing_outlives_the_node(tmp_path: Path) -> None:
    http_port = free_port(socket.SOCK_STREAM)
    base = f"http://127.0.0.1:{http_port}"
    env = {
        **os.environ,
        "OPENCC_HTTP_PORT": str(http_port),
        "OPENCC_SIP_PORT": str(free_sip_port()),
        "OPENCC_SIP_WS_PORT": str(free_port(socket.SOCK_STREAM)),
        "OPENCC_VAR_DIR": str(tmp_path / "var"),
        "OPENCC_KEY_PREFIX": f"test-node-{uuid.uuid4().hex[:8]}",
        "REDIS_URL": REDIS_URL,
        "OPENCC_STANDBY_AFTER": "0",  # the standby imports beside the starting product
    }
    log = tmp_path / "node.log"
    node = subprocess.Popen(
        [sys.executable, "-m", "cti.node_supervisor", sys.executable, "-m", "cti.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    started: set[int] = set()
    try:
        wait_until("the product serves", lambda: serving(base), log)

        def children(program: str) -> set[int]:
            return {p for p in descendants(node.pid)
                    if parent(p) == node.pid and alive(p) and runs(p, program)}  # fmt: skip

        (rtpengine,) = children("rtpengine")
        standby = wait_for_standby(log, set())
        (product,) = children("cti.demo") - {standby}  # both run the product's module
        # The product uses the node's rtpengine: it starts none of its own.
        assert not [p for p in descendants(product) if runs(p, "rtpengine")]
        os.kill(product, signal.SIGKILL)
        wait_until("the product is gone", lambda: not alive(product), log, timeout=30)
        wait_until("a new product serves", lambda: serving(base), log)
        # The restart is the standby that had imported the product, with a new one beside it.
        assert standby in children("cti.demo")
        assert wait_for_standby(log, {standby}) in children("cti.demo")
        assert alive(rtpengine) and children("rtpengine") == {rtpengine}  # never stopped

        started = descendants(node.pid)
        commands = {pid: command(pid) for pid in started}
        node.send_signal(signal.SIGKILL)
        node.wait(timeout=10)
        deadline = time.monotonic() + 30
        while (left := {pid for pid in started if alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, {pid: commands[pid] for pid in left}
    finally:
        if node.poll() is None:
            node.kill()
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

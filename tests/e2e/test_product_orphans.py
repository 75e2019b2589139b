"""`kill -9` of the product leaves nothing running (issue 20, process supervision): rtpengine,
the rq worker and the report ingester die with it (common/child_processes.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.pbx_core.support import free_port, free_sip_port

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]


def _parent_and_state(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    return int(ppid), state


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _parent_and_state(int(entry.name))) is not None:
            children.setdefault(found[0], []).append(int(entry.name))
    seen: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def parent(pid: int) -> int | None:
    found = _parent_and_state(pid)
    return None if found is None else found[0]


def alive(pid: int) -> bool:
    found = _parent_and_state(pid)
    return found is not None and found[1] != "Z"  # a zombie has ended; only its entry is left


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return "(gone)"


def test_kill_9_of_the_product_leaves_no_process_behind(tmp_path: Path) -> None:
    http_port = free_port(socket.SOCK_STREAM)
    env = {
        **os.environ,
        "OPENCC_HTTP_PORT": str(http_port),
        "OPENCC_SIP_PORT": str(free_sip_port()),
        "OPENCC_SIP_WS_PORT": str(
            free_port(socket.SOCK_STREAM)
        ),  # not 5066: tests run side by side
        "OPENCC_VAR_DIR": str(tmp_path / "var"),
        "OPENCC_KEY_PREFIX": f"test-orphans-{uuid.uuid4().hex[:8]}",
        "REDIS_URL": REDIS_URL,
        # Products of tests side by side would share one rtpengine session DB (each restores
        # all of it): their rtpengines keep none, as before.
        "OPENCC_RTPENGINE_REDIS_DB": "off",
    }
    product = subprocess.Popen(
        [sys.executable, "-m", "cti.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "product.log").open("wb"),
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while True:
            assert product.poll() is None, (tmp_path / "product.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the product did not start"
            time.sleep(0.5)
        started = descendants(product.pid)
        commands = {pid: command(pid) for pid in started}
        names = " ".join(commands.values())
        for part in ("rtpengine", "rq.cli", "common.job_queues", "reports.ingest"):
            assert part in names, f"{part} is not running: {commands}"
        product.send_signal(signal.SIGKILL)
        product.wait(timeout=10)
        deadline = time.monotonic() + 30
        while (left := {pid for pid in started if alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, {pid: commands[pid] for pid in left}
    finally:
        if product.poll() is None:
            product.kill()
        for pid in started:  # whatever the product left: reparented, so named by their pids
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

"""Chaos harness (issue 20): the running product under SIPp callers into 7003, one fault at a
time, and what each fault cost.

Starts a redis-server of its own (append-only file, so a restart keeps the data as a production
Redis would; the machine's shared Redis is never touched) and the product on it
(`python -m cti.demo`, free ports, a var folder of its own). Per fault: a batch of callers dials
7003 (the demo's Premium call center) and waits on music on hold; a few seconds in, the fault:

| fault | how |
|---|---|
| `rq-worker`, `report-ingester`, `rtpengine` | `kill -9` of that child (`/healthz/processes`) |
| `redis` | `kill -9` of the redis-server, started again on its port and files |
| `product` | `kill -9` of the main process, started again after 1 s (systemd's `RestartSec=1`) |

Reported per fault:
- waiting callers lost: SIPp calls of the batch that failed (no answer to their BYE: the
  platform forgot them);
- calls without one terminal event, or with two (the engine's `TERMINAL_CALL_EVENTS`), and gaps
  or repeats in the event stream's sequence;
- report rows lost or duplicated: each call the stream has in 7003 should be one
  `queue_call_facts` row once the ingester caught up;
- seconds until new calls are served: from the fault to the first probe call (7003, answered,
  hung up cleanly) that succeeded.

There are no agents in this form: connected calls are not measured.

    .venv/bin/python bench/chaos.py [--faults rq-worker,report-ingester,rtpengine,redis,product]
                                    [--callers 20] [--rate 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from common.child_processes import dies_with_parent  # noqa: E402
from common.event_types import TERMINAL_CALL_EVENTS, EventType  # noqa: E402
from common.redis_keys import event_stream  # noqa: E402
from reports.db import make_engine  # noqa: E402
from reports.models import QueueCallFact, StreamCursor  # noqa: E402

# Ports below the kernel's ephemeral range: a product port picked there can be taken by any
# outgoing connection between the pick and the bind (a CI run failed so).
from tests.ports import free_port  # noqa: E402

SIPP_DIR = ROOT / "tests" / "pbx_core" / "sipp"
CALL_CENTER = "7003"
TENANT = "demo"
FAULTS = ("rq-worker", "report-ingester", "rtpengine", "redis", "product")
TERMINAL = {kind.value for kind in TERMINAL_CALL_EVENTS}


class PrivateRedis:
    def __init__(self, work: Path) -> None:
        self.port = free_port(socket.SOCK_STREAM)
        self.dir = work / "redis"
        self.dir.mkdir()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            dies_with_parent([shutil.which("redis-server") or "redis-server",
                              "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "yes", "--appendfsync", "always",
                              "--dir", str(self.dir)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with Redis.from_url(self.url, socket_timeout=0.5) as client:
                    if client.ping():
                        return process
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def crash_and_restart(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


class RunningProduct:
    def __init__(self, work: Path, redis_url: str) -> None:
        self.var = work / "var"
        self.http_port = free_port(socket.SOCK_STREAM)
        self.sip_port = free_port(both=True)  # the PBX listens on UDP and TCP
        self.prefix = f"chaos-{uuid.uuid4().hex[:8]}"
        self.redis_url = redis_url
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.process = self.start()

    def start(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "OPENCC_HTTP_PORT": str(self.http_port),
            "OPENCC_SIP_PORT": str(self.sip_port),
            "OPENCC_SIP_WS_PORT": "0",  # no browser phones here; 5066 may be another run's
            "OPENCC_VAR_DIR": str(self.var),
            "OPENCC_KEY_PREFIX": self.prefix,
            "REDIS_URL": self.redis_url,
        }
        self.var.mkdir(exist_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "cti.demo"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.var / "product.log").open("ab"),
        )
        deadline = time.monotonic() + 180
        while not self.serving():
            if process.poll() is not None or time.monotonic() > deadline:
                log = (self.var / "product.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the product did not start:\n{log}")
            time.sleep(0.3)
        return process

    def serving(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz/processes", timeout=2).is_success
        except httpx.HTTPError:
            return False

    def child_pid(self, name: str) -> int:
        answer = httpx.get(f"{self.base}/healthz/processes", timeout=5).json()
        return next(int(p["pid"]) for p in answer["processes"] if p["name"] == name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def sipp(product: RunningProduct, work: Path, calls: int, rate: float,
         hold_ms: int) -> subprocess.Popen[str]:  # fmt: skip
    return subprocess.Popen(
        [
            "sipp", f"127.0.0.1:{product.sip_port}", "-sf", str(SIPP_DIR / "trunk_call.xml"),
            "-set", "from", "+31201234567", "-set", "to", CALL_CENTER,
            "-set", "media_port", str(free_port(socket.SOCK_DGRAM)),
            "-set", "hold_ms", str(hold_ms),
            "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
            "-m", str(calls), "-r", str(rate), "-l", str(calls),
            # A reply may take seconds on a loaded machine: a caller counts as lost when the
            # platform forgot it, not when the machine was slow to answer one message.
            "-recv_timeout", "30000", "-timeout", "120s", "-nostdin",
            "-trace_err", "-error_file", str(work / f"sipp-{uuid.uuid4().hex[:6]}.log"),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=work,
    )  # fmt: skip


def sipp_counts(output: str) -> tuple[int, int]:
    """(successful, failed) calls from SIPp's final statistics."""
    counts = {"Successful call": 0, "Failed call": 0}
    for line in output.splitlines():
        for label in counts:
            if line.strip().startswith(label):
                counts[label] = int(line.split("|")[2].split()[0])
    return counts["Successful call"], counts["Failed call"]


def seconds_until_served(product: RunningProduct, work: Path, fault_at: float) -> float | None:
    deadline = fault_at + 90
    while time.monotonic() < deadline:
        started = time.monotonic()
        probe = sipp(product, work, calls=1, rate=1, hold_ms=300)
        ok, _failed = sipp_counts(probe.communicate(timeout=60)[0])
        if ok == 1:
            return max(started - fault_at, 0.0)
        time.sleep(0.3)
    return None


@dataclass
class FaultResult:
    fault: str
    callers: int
    lost_callers: int
    calls_in_stream: int
    unended_calls: int
    twice_ended_calls: int
    sequence_gaps: int
    sequence_repeats: int
    rows_lost: int
    rows_duplicated: int
    served_after: float | None


def stream_calls(redis: Redis, prefix: str, after: str) -> tuple[dict[str, int], int, int]:
    """Per call of 7003 added after `after`: its terminal events; and gaps, repeats in the
    sequence over the whole stream."""
    raw = redis.xrange(event_stream(prefix, TENANT))
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
    sequences = [int(entry_id.decode().split("-")[0]) for entry_id, _ in entries]
    counted = Counter(sequences)
    repeats = sum(n - 1 for n in counted.values())
    gaps = sum(1 for a, b in zip(sorted(counted), sorted(counted)[1:], strict=False) if b != a + 1)
    first = int(after.split("-")[0]) if after != "0-0" else -1
    events = [json.loads(fields[b"event"]) for _, fields in entries]
    added: dict[str, int] = {}
    for sequence, event in zip(sequences, events, strict=True):
        call_id = event.get("call_id")
        if sequence <= first or event.get("call_center_id") != CALL_CENTER or not call_id:
            continue
        if event["type"] == EventType.CALL_ADDED.value:
            added.setdefault(call_id, 0)
        elif event["type"] in TERMINAL and call_id in added:
            added[call_id] += 1
    if os.environ.get("CHAOS_DEBUG"):
        for call_id, ends in added.items():
            if ends != 1:
                print("  ", call_id, ends, [e["type"] for e in events if e["call_id"] == call_id])
    return added, gaps, repeats


def report_rows(product: RunningProduct, redis: Redis, call_ids: set[str]) -> Counter[str]:
    stream = event_stream(product.prefix, TENANT)
    last = redis.xinfo_stream(stream)["last-generated-id"]
    last = last.decode() if isinstance(last, bytes) else last
    engine = make_engine(f"sqlite:///{product.var / 'opencc.db'}")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                cursor = connection.execute(
                    select(StreamCursor.last_id).where(StreamCursor.stream == stream)
                ).scalar_one_or_none()
            if cursor == last:
                break
            time.sleep(0.5)
        with engine.connect() as connection:
            rows = connection.execute(
                select(QueueCallFact.call_id).where(QueueCallFact.call_id.in_(call_ids))
            ).scalars()
            return Counter(rows)
    finally:
        engine.dispose()


def inject(fault: str, product: RunningProduct, redis_server: PrivateRedis) -> None:
    if fault == "redis":
        redis_server.crash_and_restart()
    elif fault == "product":
        product.process.kill()
        product.process.wait()
        time.sleep(1.0)  # systemd's RestartSec
        product.process = product.start()
    else:
        os.kill(product.child_pid(fault), signal.SIGKILL)


def run_fault(fault: str, product: RunningProduct, redis_server: PrivateRedis, work: Path,
              callers: int, rate: float) -> FaultResult:  # fmt: skip
    with Redis.from_url(redis_server.url) as redis:
        stream = event_stream(product.prefix, TENANT)
        before = redis.xinfo_stream(stream)["last-generated-id"] if redis.exists(stream) else "0-0"
        before = before.decode() if isinstance(before, bytes) else before
    ramp = callers / rate
    batch = sipp(product, work, callers, rate, hold_ms=int((ramp + 12) * 1000))
    time.sleep(ramp + 2)  # every caller is waiting
    fault_at = time.monotonic()
    inject(fault, product, redis_server)
    served_after = seconds_until_served(product, work, fault_at)
    ok, failed = sipp_counts(batch.communicate(timeout=180)[0])
    time.sleep(3)  # the last releases reach the stream
    with Redis.from_url(redis_server.url) as redis:
        added, gaps, repeats = stream_calls(redis, product.prefix, before)
        rows = report_rows(product, redis, set(added))
    return FaultResult(
        fault=fault,
        callers=ok + failed,
        lost_callers=failed,
        calls_in_stream=len(added),
        unended_calls=sum(1 for n in added.values() if n == 0),
        twice_ended_calls=sum(1 for n in added.values() if n > 1),
        sequence_gaps=gaps,
        sequence_repeats=repeats,
        rows_lost=sum(1 for call_id in added if rows[call_id] == 0),
        rows_duplicated=sum(1 for call_id in added if rows[call_id] > 1),
        served_after=served_after,
    )


def table(results: list[FaultResult]) -> str:
    lines = [
        "| fault | callers | waiting callers lost | calls in the stream | not ended / ended twice "
        "| stream gaps / repeats | report rows lost / duplicated | new calls served after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        served = f"{r.served_after:.1f} s" if r.served_after is not None else "not within 90 s"
        lines.append(
            f"| {r.fault} | {r.callers} | {r.lost_callers} | {r.calls_in_stream} | "
            f"{r.unended_calls} / "
            f"{r.twice_ended_calls} | {r.sequence_gaps} / {r.sequence_repeats} | {r.rows_lost} / "
            f"{r.rows_duplicated} | {served} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[FaultResult]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args(argv)
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        redis_server = PrivateRedis(work)
        product = RunningProduct(work, redis_server.url)
        try:
            for fault in faults:
                result = run_fault(fault, product, redis_server, work, args.callers, args.rate)
                print(table([result]).splitlines()[-1], flush=True)
                results.append(result)
        finally:
            product.stop()
            redis_server.stop()
    print(table(results))
    return results


if __name__ == "__main__":
    main()

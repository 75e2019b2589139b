"""Chaos harness (issue 20): the running product under SIPp callers into 7003, one fault at a
time, and what each fault cost.

Starts a redis-server of its own (append-only file, so a restart keeps the data as a production
Redis would; the machine's shared Redis is never touched) and the product on it
(`python -m cti.demo`, free ports, a var folder of its own). Per fault: a batch of callers dials
7003 (the demo's Premium call center) and waits on music on hold; a few seconds in, the fault:

| fault | how |
|---|---|
| `rq-worker`, `report-ingester` | `kill -9` of that child (`/healthz/processes`) |
| `rtpengine` | `kill -9` of rtpengine (its own service, as in production), started again |
| `redis` | `kill -9` of the redis-server, started again on its port and files |
| `redis-outage` | the redis-server stopped (SIGSTOP) for 30 s, then continued (a partition) |
| `postgres` | the database (a private PostgreSQL) crashed (`pg_ctl stop -m immediate`), restarted |
| `product` | `kill -9` of the main process (the PBX), started again from its warm standby |
| `kamailio` | `kill -9` of Kamailio in front of the product (`--kamailio`), restarted after 1 s |
| `api` | `kill -9` of a stand-alone API process (`cti.serve`, chaos_api.py), restarted after 1 s |
| `redis-failover` | `kill -9` of the Redis primary of a primary, 2 replicas, 3 Sentinels |
| `postgres-failover` | the PostgreSQL primary crashed, its streaming replica promoted 5 s later |

The two failover faults (bench/chaos_failover.py) each run on a product of their own, started
on that layout (`redis+sentinel://`, a two-host `DATABASE_URL`) after the other faults.

Reported per fault:
- waiting callers lost: SIPp calls of the batch that failed (no answer to their BYE: the
  platform forgot them);
- calls without one terminal event, or with two (the engine's `TERMINAL_CALL_EVENTS`), and gaps
  or repeats in the event stream's sequence;
- report rows lost or duplicated: each call the stream has in 7003 should be one
  `queue_call_facts` row once the ingester caught up;
- seconds until new calls are served: from the fault to the first probe call (7003, answered,
  hung up cleanly) that succeeded.
- connected calls dropped: `--agents` agents of 7003 (bench/chaos_agents.py, SIPp phones) answer
  the first callers and stay connected until the caller's BYE, so that many calls are connected
  when the fault hits (*connected at the fault*: the stream has their `CALL_ANSWERED` before the
  fault and their `CALL_RELEASED` after it). Dropped is the larger of two counts, each of which
  alone misses some drops: those connected calls whose end in the stream is not one
  `CALL_RELEASED` by the caller (none, two, or one by the platform or the agent's leg), and the
  calls the agent phones failed during the fault (their BYE never came, or an unexpected
  message). A connected caller whose own BYE went unanswered is counted in waiting callers lost
  (SIPp's caller counts do not tell waiting from connected callers).
- callers hearing music before / after: the batch's callers that got RTP from rtpengine (their
  music on hold) in the second before the fault and in a second 5 s after it
  (bench/chaos_music.py): after rtpengine's restart the PBX plays it again.
- with the `api` fault, seconds from its kill until the restarted API process answers again
  (`/healthz`), and a column for it.

With the `api` fault, a stand-alone API process (`python -m cti.serve` on the product's Redis,
prefix and database) runs beside the product: during that fault's batch the live subscriber
subscribes through it and the agents are set AVAILABLE through it (relayed to the product); it
must resume through the restarted process.

With `--kamailio`, or the `kamailio` fault (in the default list), Kamailio runs in front of the
product for every fault (bench/chaos_kamailio.py): callers, probes and agents' REGISTERs go
through it. `--faults` without `kamailio` and no `--kamailio`: the product alone.

    .venv/bin/python bench/chaos.py [--faults rq-worker,report-ingester,rtpengine,redis,product]
                                    [--callers 20] [--rate 10] [--agents 2] [--kamailio]
                                    [--failover-during-arrival SECONDS]
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
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.chaos_agents import AgentPhones  # noqa: E402
from bench.chaos_api import ApiProcess  # noqa: E402
from bench.chaos_failover import (  # noqa: E402
    EXTRA_HOLD_SECONDS,
    FAILOVER_FAULTS,
    Failover,
    failover_layout,
)
from bench.chaos_kamailio import OwnKamailio  # noqa: E402
from bench.chaos_music import AFTER_SECONDS, SETTLE_SECONDS, MusicEar  # noqa: E402
from bench.chaos_subscriber import LiveSubscriber  # noqa: E402
from bench.private_postgres import PrivatePostgres  # noqa: E402
from common.child_processes import dies_with_parent, stop_child  # noqa: E402
from common.event_types import TERMINAL_CALL_EVENTS, EventType  # noqa: E402
from common.redis_connect import sync_client  # noqa: E402
from common.redis_keys import event_stream  # noqa: E402
from cti.node_supervisor import PRODUCT_RESTART, STANDBY_AFTER_SECONDS  # noqa: E402
from cti.warm_standby import WarmStandby  # noqa: E402
from pbx_core.media.rtpengine_process import RedisTarget, start_rtpengine  # noqa: E402
from reports.db import make_engine  # noqa: E402
from reports.models import QueueCallFact, StreamCursor  # noqa: E402

# Ports below the kernel's ephemeral range: a product port picked there can be taken by any
# outgoing connection between the pick and the bind (a CI run failed so).
from tests.ports import free_port  # noqa: E402

SIPP_DIR = ROOT / "tests" / "pbx_core" / "sipp"
CALL_CENTER = "7003"
TENANT = "demo"
FAULTS = (
    "rq-worker", "report-ingester", "rtpengine", "redis", "redis-outage", "postgres", "product",
    "kamailio", "api", *FAILOVER_FAULTS,
)  # fmt: skip
REDIS_OUTAGE_SECONDS = 30.0
"""The issue's "Redis unreachable for 30 s"."""
PRODUCT_RESTART_SECONDS = 120
PROBE_HOLD_MS = 300
STANDBY_READY_SECONDS = STANDBY_AFTER_SECONDS + 120  # its imports, on a loaded machine
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

    def unreachable_for(self, seconds: float) -> None:
        """Redis stops answering now (SIGSTOP: connections hang, as behind a network partition)
        and carries on with everything it held `seconds` later; returns at once."""
        self.process.send_signal(signal.SIGSTOP)
        resume = threading.Timer(seconds, self.process.send_signal, (signal.SIGCONT,))
        resume.daemon = True
        resume.start()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        self.process.wait()


RTPENGINE_REDIS_DB = 1
"""rtpengine's DB in the private Redis: its own, as rtpengine restores every call of it."""


class OwnRtpengine:
    """rtpengine as its own service beside the product (its systemd unit in production,
    docs/deploy.md): its sessions outlive a PBX crash. Restarted on its ports after a kill, it
    restores them from DB 1 of the private Redis (the product's data is in DB 0)."""

    def __init__(self, work: Path, redis_port: int) -> None:
        self.dir = work / "rtpengine"
        self.dtmf_port = free_port(socket.SOCK_DGRAM)
        self.redis = RedisTarget("127.0.0.1", redis_port, RTPENGINE_REDIS_DB)
        self.instance = start_rtpengine(
            self.dir, recording_dir=work / "var" / "recordings", dtmf_log_port=self.dtmf_port,
            redis=self.redis,
        )  # fmt: skip

    @property
    def address(self) -> str:
        return f"{self.instance.host}:{self.instance.ng_port}"

    def crash_and_restart(self) -> None:
        old = self.instance
        old.process.kill()
        old.process.wait()
        self.instance = start_rtpengine(
            self.dir, recording_dir=old.recording_dir, dtmf_log_port=self.dtmf_port,
            ng_port=old.ng_port, port_range=(old.port_min, old.port_max), redis=self.redis,
        )  # fmt: skip

    def stop(self) -> None:
        self.instance.stop()


class RunningProduct:
    def __init__(
        self, work: Path, redis_url: str, database_url: str | None, rtpengine: OwnRtpengine,
        edge_port: int | None = None,
    ) -> None:  # fmt: skip
        self.rtpengine = rtpengine
        self.edge_port = edge_port
        self.var = work / "var"
        self.http_port = free_port(socket.SOCK_STREAM)
        self.sip_port = free_port(both=True)  # the PBX listens on UDP and TCP
        self.prefix = f"chaos-{uuid.uuid4().hex[:8]}"
        self.redis_url = redis_url
        self.database_url = database_url or f"sqlite:///{self.var / 'opencc.db'}"
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.var.mkdir(exist_ok=True)
        self._log = (self.var / "product.log").open("ab")
        # As cti/node_supervisor.py restarts the product: through a warm standby.
        self.standby = WarmStandby(
            [sys.executable, "-m", "cti.demo"],
            STANDBY_AFTER_SECONDS,
            cwd=ROOT,
            env=self.environment(),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        self.process = self.start()

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "OPENCC_HTTP_PORT": str(self.http_port),
            "OPENCC_SIP_PORT": str(self.sip_port),
            "OPENCC_SIP_WS_PORT": "0",  # no browser phones here; 5066 may be another run's
            "OPENCC_VAR_DIR": str(self.var),
            "OPENCC_KEY_PREFIX": self.prefix,
            "REDIS_URL": self.redis_url,
            "DATABASE_URL": self.database_url,
            "OPENCC_RTPENGINE": self.rtpengine.address,
            "OPENCC_RTPENGINE_DTMF_PORT": str(self.rtpengine.dtmf_port),
            # Behind Kamailio the PBX sees each phone's own address (docs/deploy.md).
            "OPENCC_SIP_EDGE": f"127.0.0.1:{self.edge_port}" if self.edge_port else "",
        }

    def start(self) -> subprocess.Popen[bytes]:
        process = self.standby.start()
        self.wait_serving(process)
        return process

    def wait_serving(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 180
        while not self.serving():
            if process.poll() is not None or time.monotonic() > deadline:
                log = (self.var / "product.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the product did not start:\n{log}")
            time.sleep(0.3)

    def serving(self) -> bool:
        try:
            return httpx.get(f"{self.base}/healthz/processes", timeout=2).is_success
        except httpx.HTTPError:
            return False

    def child_pid(self, name: str) -> int:
        answer = httpx.get(f"{self.base}/healthz/processes", timeout=5).json()
        return next(int(p["pid"]) for p in answer["processes"] if p["name"] == name)

    def stop(self) -> None:
        self.standby.close()
        stop_child(self.process)
        self._log.close()


def sipp(sip_port: int, work: Path, calls: int, rate: float, hold_ms: int,
         media_port: int | None = None) -> subprocess.Popen[str]:  # fmt: skip
    """Callers to 7003 at 127.0.0.1:`sip_port` (the product's, or Kamailio's in front of it),
    all naming `media_port` (default: a free one) for their RTP."""
    return subprocess.Popen(
        [
            "sipp", f"127.0.0.1:{sip_port}", "-sf", str(SIPP_DIR / "trunk_call.xml"),
            "-set", "from", "+31201234567", "-set", "to", CALL_CENTER,
            "-set", "media_port", str(media_port or free_port(socket.SOCK_DGRAM)),
            "-set", "hold_ms", str(hold_ms),
            "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
            "-m", str(calls), "-r", str(rate), "-l", str(calls),
            # A reply may take seconds on a loaded machine: a caller counts as lost when the
            # platform forgot it, not when the machine was slow to answer one message.
            "-recv_timeout", "30000", "-timeout", f"{hold_ms // 1000 + 120}s", "-nostdin",
            "-aa",  # a phone answers a restarted PBX's in-dialog OPTIONS (docs/deploy.md)
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


def probe_seconds(sip_port: int, work: Path) -> float | None:
    """One probe call to 7003: how long it took from SIPp's start to its end, None if it was not
    answered and hung up cleanly."""
    started = time.monotonic()
    probe = sipp(sip_port, work, calls=1, rate=1, hold_ms=PROBE_HOLD_MS)
    ok, _failed = sipp_counts(probe.communicate(timeout=60)[0])
    return time.monotonic() - started if ok == 1 else None


def seconds_until_served(
    sip_port: int, work: Path, fault_at: float, own_time: float
) -> float | None:
    """From the fault to when the first probe call after it was served: its end less
    `own_time`, what a probe takes while the platform serves (SIPp's start, the call's set-up,
    hold and release, measured before the fault). A probe sent while nothing listens is served
    at a retransmission, as a phone's call would be."""
    deadline = fault_at + 90
    while time.monotonic() < deadline:
        if probe_seconds(sip_port, work) is not None:
            return max(time.monotonic() - own_time - fault_at, 0.0)
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
    subscription_lost: int
    subscription_repeated: int
    connected_at_fault: int
    connected_dropped: int
    music_before: int = 0
    """Callers hearing music on hold in the second before the fault (bench/chaos_music.py)."""
    music_after: int = 0
    """And in a second `AFTER_SECONDS` after it."""
    api_answers_after: float | None = None
    """`api` fault: seconds from the kill until the restarted API process answered."""
    subscription_through_api: tuple[int, int] | None = None
    """`api` fault: events the subscriber got through the API process before the kill, and
    through the restarted one (0: it did not resume there)."""
    promoted_after: float | None = None
    """Failover faults: seconds from the fault until the promoted server took writes."""


@dataclass
class Platform:
    """What the faults hit, and the live subscriber watching them."""

    work: Path
    redis_server: PrivateRedis
    postgres: PrivatePostgres | None
    product: RunningProduct
    subscriber: LiveSubscriber
    agents: AgentPhones
    edge: OwnKamailio | None
    """Kamailio in front of the product (`--kamailio`), None: phones reach the product."""
    api: ApiProcess | None
    """A stand-alone API process (with the `api` fault), None: users reach the product."""
    failover: Failover | None = None
    """The product's high-availability layout (a failover fault's run), None: plain servers."""

    @property
    def sip_port(self) -> int:
        """Where phones send SIP: Kamailio, or the product without it."""
        return self.edge.port if self.edge is not None else self.product.sip_port


def stream_calls(
    redis: Redis, prefix: str, after: str
) -> tuple[dict[str, int], int, int, set[int]]:
    """Per call of 7003 added after `after`: its terminal events; gaps, repeats in the sequence
    over the whole stream; and the sequences after `after` a subscriber to 7003 should get."""
    raw = redis.xrange(event_stream(prefix, TENANT))
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
    sequences = [int(entry_id.decode().split("-")[0]) for entry_id, _ in entries]
    counted = Counter(sequences)
    repeats = sum(n - 1 for n in counted.values())
    gaps = sum(1 for a, b in zip(sorted(counted), sorted(counted)[1:], strict=False) if b != a + 1)
    first = int(after.split("-")[0]) if after != "0-0" else -1
    events = [json.loads(fields[b"event"]) for _, fields in entries]
    added: dict[str, int] = {}
    for_subscribers = {
        sequence
        for sequence, event in zip(sequences, events, strict=True)
        if sequence > first
        and event.get("call_center_id") == CALL_CENTER
        and event["type"] != EventType.AGENT_STATE_CHANGED.value
    }
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
    return added, gaps, repeats, for_subscribers


def connected_calls(redis: Redis, prefix: str, fault_at: str) -> tuple[int, int]:
    """Calls of 7003 connected to an agent at the fault (answered at or before the stream's
    `fault_at`, not yet released), and how many of them did not end cleanly afterwards: not
    exactly one `CALL_RELEASED`, or one by anyone but the caller (the callers hang up, the
    agents wait for the BYE; "platform" is a lost call, "agent" a dropped agent leg)."""
    fault = int(fault_at.split("-")[0]) if fault_at != "0-0" else -1
    raw = redis.xrange(event_stream(prefix, TENANT))
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
    connected: set[str] = set()
    releases: dict[str, list[str]] = {}
    for entry_id, fields in entries:
        event = json.loads(fields[b"event"])
        call_id = event.get("call_id")
        if event.get("call_center_id") != CALL_CENTER or not call_id:
            continue
        at_or_before = int(entry_id.decode().split("-")[0]) <= fault
        if event["type"] == EventType.CALL_ANSWERED.value and at_or_before:
            connected.add(call_id)
        elif event["type"] == EventType.CALL_RELEASED.value:
            if at_or_before:
                connected.discard(call_id)
            else:
                releases.setdefault(call_id, []).append(event["data"].get("released_by"))
    dropped = sum(1 for call_id in connected if releases.get(call_id) != ["caller"])
    return len(connected), dropped


def report_rows(product: RunningProduct, redis: Redis, call_ids: set[str]) -> Counter[str]:
    stream = event_stream(product.prefix, TENANT)
    last = redis.xinfo_stream(stream)["last-generated-id"]
    last = last.decode() if isinstance(last, bytes) else last
    engine = make_engine(product.database_url)
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


def inject(fault: str, platform: Platform) -> None:
    product, redis_server, postgres = platform.product, platform.redis_server, platform.postgres
    if fault == "postgres":
        assert postgres is not None, "main() starts one when the faults include postgres"
        postgres.crash_and_restart()
    elif fault == "redis":
        redis_server.crash_and_restart()
    elif fault == "redis-outage":
        redis_server.unreachable_for(REDIS_OUTAGE_SECONDS)
    elif fault == "rtpengine":
        product.rtpengine.crash_and_restart()
    elif fault == "kamailio":
        assert platform.edge is not None, "main() runs Kamailio when the faults include kamailio"
        platform.edge.crash_and_restart()
    elif fault == "api":
        assert platform.api is not None, "main() starts one when the faults include api"
        platform.api.crash_and_restart()
    elif fault in FAILOVER_FAULTS:
        assert platform.failover is not None, "run_platform() starts the layout of the fault"
        platform.failover.inject()
    elif fault == "product":
        product.process.kill()
        product.process.wait()
        time.sleep(PRODUCT_RESTART.first_delay)  # as the node supervisor waits
        product.process = product.standby.start()  # the probes measure when it serves
    else:
        os.kill(product.child_pid(fault), signal.SIGKILL)


def last_sequence(redis: Redis, prefix: str) -> str:
    stream = event_stream(prefix, TENANT)
    last = redis.xinfo_stream(stream)["last-generated-id"] if redis.exists(stream) else "0-0"
    return last.decode() if isinstance(last, bytes) else str(last)


def run_fault(fault: str, platform: Platform, callers: int, rate: float) -> FaultResult:
    product, work = platform.product, platform.work
    if fault == "product":  # the restart is measured as the node supervisor's: warm
        assert product.standby.ready(STANDBY_READY_SECONDS), "the warm standby never got ready"
    # A user's traffic (the subscriber, the agents' commands) reaches the node the fault hits.
    api = platform.api if fault == "api" else None
    front = api.base if api is not None else product.base
    platform.subscriber.move_to(front)
    platform.agents.sign_in(front, platform.sip_port)
    agents_before = platform.agents.failed_or_open_calls()
    with sync_client(product.redis_url) as redis:
        before = last_sequence(redis, product.prefix)
    ramp = callers / rate
    # The callers of the product fault wait out its restart (a minute on a loaded machine): a
    # caller who hangs up while no PBX runs gets no answer, and counts as lost. Those of the
    # Redis outage wait it out.
    outage = {"product": PRODUCT_RESTART_SECONDS, "redis-outage": REDIS_OUTAGE_SECONDS}
    outage |= dict.fromkeys(FAILOVER_FAULTS, EXTRA_HOLD_SECONDS)
    settle = SETTLE_SECONDS if fault == "rtpengine" else 0.0  # into the music (chaos_music)
    hold = ramp + outage.get(fault, 0) + 12 + settle
    ear = MusicEar()
    batch = sipp(platform.sip_port, work, callers, rate, int(hold * 1000), ear.port)
    if platform.failover is not None:
        platform.failover.batch_started()
    time.sleep(ramp + 2 + settle)  # every caller is waiting, or talking to an agent
    own_time = probe_seconds(platform.sip_port, work)
    assert own_time is not None, "the platform did not serve a probe before the fault"
    with sync_client(product.redis_url) as redis:
        fault_sequence = last_sequence(redis, product.prefix)
    fault_at = time.monotonic()
    inject(fault, platform)
    served_after = seconds_until_served(platform.sip_port, work, fault_at, own_time)
    product.wait_serving(product.process)
    ok, failed = sipp_counts(batch.communicate(timeout=180)[0])
    ear.stop()
    time.sleep(3)  # the last releases reach the stream
    if platform.failover is not None:
        platform.failover.wait_promoted()
    with sync_client(product.redis_url) as redis:
        added, gaps, repeats, for_subscribers = stream_calls(redis, product.prefix, before)
        rows = report_rows(product, redis, set(added))
        connected, dropped_in_stream = connected_calls(redis, product.prefix, fault_sequence)
    dropped_by_agents = platform.agents.failed_or_open_calls() - agents_before
    subscription_lost, subscription_repeated = platform.subscriber.lost_and_repeated(
        for_subscribers
    )
    through_api = None
    if api is not None and api.killed_at is not None:
        after_kill = platform.subscriber.received_through(api.base, api.killed_at)
        before_kill = platform.subscriber.received_through(api.base, 0.0) - after_kill
        through_api = (before_kill, after_kill)
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
        subscription_lost=subscription_lost,
        subscription_repeated=subscription_repeated,
        connected_at_fault=connected,
        connected_dropped=max(dropped_in_stream, dropped_by_agents),
        music_before=ear.hearing(fault_at),
        music_after=ear.hearing(fault_at + AFTER_SECONDS),
        api_answers_after=api.answers_after() if api is not None else None,
        subscription_through_api=through_api,
        promoted_after=platform.failover.promoted_after if platform.failover else None,
    )


def table(results: list[FaultResult]) -> str:
    """The results as a Markdown table; with an `api` row, a last column for its measure."""
    with_api = any(r.api_answers_after is not None for r in results)
    lines = [
        "| fault | callers | waiting callers lost | connected at the fault / dropped "
        "| calls in the stream | not ended / ended twice "
        "| stream gaps / repeats | subscription events lost / repeated "
        "| report rows lost / duplicated | new calls served after "
        "| callers hearing music before / after |"
        + (" API answers again after |" if with_api else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if with_api else ""),
    ]
    for r in results:
        served = f"{r.served_after:.1f} s" if r.served_after is not None else "not within 90 s"
        api = f" {r.api_answers_after:.1f} s |" if r.api_answers_after is not None else " - |"
        lines.append(
            f"| {r.fault} | {r.callers} | {r.lost_callers} | "
            f"{r.connected_at_fault} / {r.connected_dropped} | {r.calls_in_stream} | "
            f"{r.unended_calls} / "
            f"{r.twice_ended_calls} | {r.sequence_gaps} / {r.sequence_repeats} | "
            f"{r.subscription_lost} / {r.subscription_repeated} | {r.rows_lost} / "
            f"{r.rows_duplicated} | {served} | {r.music_before} / {r.music_after} |"
            + (api if with_api else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[FaultResult]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument(
        "--agents", type=int, default=2, help="agents of 7003 answering (at most 4)"
    )
    parser.add_argument(
        "--postgres", action="store_true",
        help="the product's database on a private PostgreSQL (always with the postgres fault)",
    )  # fmt: skip
    parser.add_argument(
        "--kamailio", action="store_true",
        help="Kamailio in front of the product for every fault (always with the kamailio fault)",
    )  # fmt: skip
    parser.add_argument(
        "--failover-during-arrival", type=float, metavar="SECONDS",
        help="a failover fault this long after the batch's first caller (bench/chaos_failover.py)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
    kamailio = args.kamailio or "kamailio" in faults
    plain = [fault for fault in faults if fault not in FAILOVER_FAULTS]
    # A failover fault needs the product on its layout's URLs: a product start of its own.
    runs = [(plain, None)] if plain else []
    runs += [([fault], fault) for fault in faults if fault in FAILOVER_FAULTS]
    results = []
    for run_faults, failover in runs:
        results += run_platform(run_faults, failover, args, kamailio)
    print(table(results))
    return results


def run_platform(
    faults: list[str], failover: str | None, args: argparse.Namespace, kamailio: bool
) -> list[FaultResult]:
    """`faults` in turn on one product, started on `failover`'s layout if given."""
    results = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as layouts:
        work = Path(tmp)
        # rtpengine keeps its sessions on this redis-server in every run (its own service).
        redis_server = PrivateRedis(work)
        early = args.failover_during_arrival
        layout = layouts.enter_context(failover_layout(failover, work, early)) if failover else None
        database_url = layout.database_url if layout is not None else None
        wants_postgres = args.postgres or "postgres" in faults
        postgres = PrivatePostgres() if wants_postgres and database_url is None else None
        redis_url = (layout.redis_url if layout is not None else None) or redis_server.url
        rtpengine = OwnRtpengine(work, redis_server.port)
        edge_port = free_port(socket.SOCK_DGRAM) if kamailio else None
        product = RunningProduct(
            work, redis_url, database_url or (postgres.url if postgres else None), rtpengine,
            edge_port,
        )  # fmt: skip
        edge = OwnKamailio(work, edge_port, product.sip_port) if edge_port else None
        api = ApiProcess(product.var, product.environment()) if "api" in faults else None
        with sync_client(redis_url) as redis:
            start = int(last_sequence(redis, product.prefix).split("-")[0])
        subscriber = LiveSubscriber(product.base, CALL_CENTER, "supervisor", "pwsupervisor", start)
        # An agent phone gives up on a call whose BYE has not come after the longest hold.
        longest_hold = args.callers / args.rate + PRODUCT_RESTART_SECONDS + 12
        agents = AgentPhones(work, args.agents, recv_timeout_s=int(longest_hold) + 90)
        platform = Platform(
            work, redis_server, postgres, product, subscriber, agents, edge, api, layout
        )
        try:
            for fault in faults:
                result = run_fault(fault, platform, args.callers, args.rate)
                print(table([result]).splitlines()[-1], flush=True)
                if result.promoted_after is not None:
                    print(f"  promoted after {result.promoted_after:.1f} s", flush=True)
                results.append(result)
        finally:
            agents.stop()
            subscriber.stop()
            if api is not None:
                api.stop()
            if edge is not None:
                edge.stop()
            product.stop()
            rtpengine.stop()
            redis_server.stop()
            if postgres is not None:
                postgres.stop()
    return results


if __name__ == "__main__":
    main()

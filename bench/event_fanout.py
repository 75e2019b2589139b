"""Benchmark: domain events from the Redis stream to 500 websocket subscribers.

Measures, in one run and on the same machine, two ways to deliver the tenant's event stream:

- graphql: the real app (`cti.app.create_app`), each client a `graphql-transport-ws`
  `queueEvents` subscription (strawberry executes the selection per subscriber);
- raw: a bare websocket broadcast from the same fan-out in the same server process (each event
  serialized once, the same text sent to every client): the baseline.

For each: p50/p99 latency from stream append (XADD) to arrival at the client at a steady rate
(default 20 events/s, the issue's goal), and delivered messages per second for a burst sent as
fast as possible. Prints the figures and the graphql/raw ratios. The server runs in a child
process (one core), clients and publisher in this one (the other core).

    .venv/bin/python bench/event_fanout.py [--clients 500] [--rate 20] [--seconds 10] [--burst 400]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from redis.asyncio import Redis
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cti.app import create_app  # noqa: E402
from cti.event_log import EventLog  # noqa: E402
from cti.principal import Principal, Role  # noqa: E402
from cti.services import CtiServices  # noqa: E402
from cti.settings import CtiSettings  # noqa: E402
from cti.tokens import TokenSigner  # noqa: E402
from queueing.events import DomainEvent, EventType  # noqa: E402

TENANT = "bench"
SUBSCRIPTION = "subscription { queueEvents { type callId sequence data } }"


# ---------------------------------------------------------------- server side (child process)


def bench_app(settings: CtiSettings) -> FastAPI:
    """The real app plus `/bench/raw`: a bare broadcast of the same fan-out, no GraphQL."""
    app = create_app(settings)
    clients: set[asyncio.Queue[str]] = set()
    broadcaster: list[asyncio.Task[None]] = []

    async def broadcast(services: CtiServices) -> None:
        async for event in services.fanout.subscribe(TENANT):
            text = json.dumps({"sequence": event.sequence, "data": event.data})  # once per event
            for queue in list(clients):
                queue.put_nowait(text)

    @app.websocket("/bench/raw")
    async def raw(ws: WebSocket) -> None:
        await ws.accept()
        if not broadcaster:
            broadcaster.append(asyncio.create_task(broadcast(ws.app.state.services)))
        queue: asyncio.Queue[str] = asyncio.Queue()
        clients.add(queue)
        try:
            await ws.send_text("ready")
            while True:
                await ws.send_text(await queue.get())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            clients.discard(queue)

    return app


def serve(port: int, prefix: str, secret: str, database_url: str) -> None:
    settings = CtiSettings(
        token_secret=secret,
        key_prefix=prefix,
        database_url=database_url,
        subscriber_queue_size=10_000,
        fanout_block_ms=100,
    )
    uvicorn.run(
        bench_app(settings), host="127.0.0.1", port=port, log_level="warning", ws_max_queue=64
    )


# ---------------------------------------------------------------- client side (this process)


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    last_arrival: float = 0.0
    expected_total: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, sent_at: float) -> None:
        now = time.time()
        self.latencies.append(now - sent_at)
        self.received += 1
        self.last_arrival = now
        if self.expected_total and self.received >= self.expected_total:
            self.done.set()


async def graphql_client(url: str, token: str, run: Run, ready: asyncio.Event) -> None:
    async with websockets.connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        ready.set()
        async for message in ws:
            body: dict[str, Any] = json.loads(message)
            if body.get("type") == "next":
                run.record(body["payload"]["data"]["queueEvents"]["data"]["t"])


async def raw_client(url: str, run: Run, ready: asyncio.Event) -> None:
    async with websockets.connect(url, max_queue=None) as ws:
        assert await ws.recv() == "ready"
        ready.set()
        async for message in ws:
            run.record(json.loads(message)["data"]["t"])


def event(sequence: int) -> DomainEvent:
    return DomainEvent(
        type=EventType.CALL_ADDED,
        sequence=sequence,
        timestamp=time.time(),
        tenant=TENANT,
        reason="benchmark",
        call_center_id="7001",
        call_id=f"b-{sequence}",
        caller="+31201234567",
        data={"t": time.time(), "priority": 0, "position": 1, "called": "7001"},
    )


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    server_cpu: float
    client_cpu: float
    p50_ms: float
    p99_ms: float
    steady_delivered: int
    steady_expected: int
    burst_msgs_per_s: float
    burst_events_per_s: float


async def measure(
    mode: str,
    connect: Any,
    clients: int,
    log: EventLog,
    next_sequence: list[int],
    rate: float,
    seconds: float,
    burst: int,
    server_pid: int,
) -> Figures:
    steady = Run()
    ready_events = [asyncio.Event() for _ in range(clients)]
    run_holder = {"run": steady}

    class Proxy:
        def record(self, sent_at: float) -> None:
            run_holder["run"].record(sent_at)

    proxy: Any = Proxy()
    tasks = []
    for i in range(clients):
        tasks.append(asyncio.create_task(connect(proxy, ready_events[i])))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not SYN-flood the listener
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready_events)), 120)
    await asyncio.sleep(1.0)  # subscriptions registered with the fan-out

    count = int(rate * seconds)
    steady.expected_total = count * clients
    server_cpu0, client_cpu0 = cpu_seconds(server_pid), time.process_time()
    start = time.monotonic()
    for i in range(count):
        await log.append(event(next_sequence[0]))
        next_sequence[0] += 1
        delay = start + (i + 1) / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(steady.done.wait(), 30)
    steady_wall = time.monotonic() - start
    server_cpu = (cpu_seconds(server_pid) - server_cpu0) / steady_wall
    client_cpu = (time.process_time() - client_cpu0) / steady_wall

    burst_run = Run(expected_total=burst * clients)
    run_holder["run"] = burst_run
    first_append = time.time()
    pipe_batch = 50
    for offset in range(0, burst, pipe_batch):
        batch = []
        for _ in range(min(pipe_batch, burst - offset)):
            batch.append(event(next_sequence[0]))
            next_sequence[0] += 1
        await log.append_many(batch)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(burst_run.done.wait(), 120)
    elapsed = max(burst_run.last_arrival - first_append, 1e-9)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    lat = sorted(steady.latencies) or [float("nan")]
    p99_index = min(len(lat) - 1, int(len(lat) * 0.99))
    return Figures(
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        p50_ms=statistics.median(lat) * 1000,
        p99_ms=lat[p99_index] * 1000,
        steady_delivered=steady.received,
        steady_expected=count * clients,
        burst_msgs_per_s=burst_run.received / elapsed,
        burst_events_per_s=burst_run.received / clients / elapsed,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def main_async(args: argparse.Namespace) -> None:
    prefix = f"bench:{uuid.uuid4().hex[:8]}"
    secret = uuid.uuid4().hex * 2
    port = free_port()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"event_fanout_{uuid.uuid4().hex[:8]}.db"
    database_url = f"sqlite:///{tmp}"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), prefix, secret, database_url]
    )
    redis = Redis.from_url(args.redis_url, decode_responses=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            await asyncio.sleep(0.1)
        token = TokenSigner(secret).issue(Principal(TENANT, "bench", Role.ADMIN))
        log = EventLog(redis, prefix)
        sequence = [1]
        gql_url = f"ws://127.0.0.1:{port}/graphql"
        raw_url = f"ws://127.0.0.1:{port}/bench/raw"

        async def gql_connect(run: Any, ready: asyncio.Event) -> None:
            await graphql_client(gql_url, token, run, ready)

        async def raw_connect(run: Any, ready: asyncio.Event) -> None:
            await raw_client(raw_url, run, ready)

        common = (args.clients, log, sequence, args.rate, args.seconds, args.burst, child.pid)
        raw = await measure("raw", raw_connect, *common)
        gql = await measure("graphql", gql_connect, *common)
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        child.terminate()
        child.wait(timeout=10)
        tmp.unlink(missing_ok=True)

    print(f"event fan-out: {args.clients} websocket subscribers, one server process")
    print(f"steady {args.rate:g} events/s for {args.seconds:g} s; burst of {args.burst} events")
    header = (
        f"{'':8} {'p50 ms':>8} {'p99 ms':>8} {'delivered':>12} "
        f"{'burst msg/s':>12} {'burst ev/s':>11} {'cpu server/client (steady)':>27}"
    )
    print(header)
    for name, f in (("raw", raw), ("graphql", gql)):
        print(
            f"{name:8} {f.p50_ms:8.1f} {f.p99_ms:8.1f} "
            f"{f.steady_delivered:>6}/{f.steady_expected:<6}"
            f"{f.burst_msgs_per_s:12.0f} {f.burst_events_per_s:11.1f} "
            f"{f.server_cpu:13.0%} / {f.client_cpu:.0%}"
        )
    print(
        f"ratio graphql/raw: throughput {gql.burst_msgs_per_s / raw.burst_msgs_per_s:.2f}, "
        f"p99 latency {gql.p99_ms / raw.p99_ms:.2f}x"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=400)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    try:  # the clients' event loop is part of what is measured: use the fast one if present
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

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
import base64
import contextlib
import functools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cti.app import create_app  # noqa: E402
from cti.event_log import EventLog, encode  # noqa: E402
from cti.principal import Principal, Role  # noqa: E402
from cti.serve import WEB_SERVER_OPTIONS  # noqa: E402
from cti.services import CtiServices  # noqa: E402
from cti.settings import CtiSettings  # noqa: E402
from cti.snapshots import CallCenterSnapshot, SnapshotStore  # noqa: E402
from cti.tokens import TokenSigner  # noqa: E402
from queueing.events import DomainEvent, EventType  # noqa: E402

TENANT = "bench"
CALL_CENTER = "7001"
SELECTION = "{ type callId sequence data }"
AUDIENCES = {
    # One admin token for everyone: the whole tenant's events, one audience.
    "admins": "subscription { queueEvents " + SELECTION + " }",
    # An agent per client (extensions 10000...), each watching its call center's queue.
    "agents": f'subscription {{ queueEvents(callCenterId: "{CALL_CENTER}") {SELECTION} }}',
}


# ---------------------------------------------------------------- server side (child process)


def bench_app(settings: CtiSettings) -> FastAPI:
    """The real app plus `/bench/raw`: a bare broadcast of the same fan-out, no GraphQL."""
    app = create_app(settings)
    clients: set[asyncio.Queue[str]] = set()
    broadcaster: list[asyncio.Task[None]] = []

    async def broadcast(services: CtiServices) -> None:
        async for event in services.fanout.subscribe(TENANT):
            text = encode(event)  # once per event, about the size of the GraphQL payload
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
        # Hundreds of clients share one token here (one audience); a real user holds a few.
        max_connections_per_principal=100_000,
    )
    uvicorn.run(
        bench_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_max_queue=64,
        **WEB_SERVER_OPTIONS,  # as the product serves it
    )


# ---------------------------------------------------------------- client side (this process)


class Subscriber(asyncio.Protocol):
    """One websocket client whose frames are read in `data_received`.

    500 subscribers share this process and one core. With the `websockets` client every message
    cost this process about as much as it cost the server to send it (a generator-based frame
    parser, a queue and a task switch per `recv`), so the bench partly measured its own clients.
    Here a message costs one pass over the buffer, an inflate when compressed, and the handler.
    Server frames are unmasked and (uvicorn) never fragmented. Like a browser, the client offers
    permessage-deflate unless told not to.
    """

    def __init__(self, endpoint: Endpoint, deflate: bool) -> None:
        self._endpoint = endpoint
        self._deflate = deflate
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._inflater: Any = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport = cast(asyncio.Transport, transport)  # uvloop's is not one
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self._endpoint.path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if self._endpoint.subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {self._endpoint.subprotocol}")
        if self._deflate:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.opened, self.ready):
            future.cancel(f"websocket closed: {exc}")  # no-op once done

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self.opened.done():
            head, found, _ = self._buffer.partition(b"\r\n\r\n")
            if not found:
                return
            del self._buffer[: len(head) + 4]
            status, *headers = head.decode("latin-1").split("\r\n")
            if " 101 " not in status:
                self.opened.set_exception(ConnectionError(status))
                return
            extensions = [h for h in headers if h.lower().startswith("sec-websocket-extensions:")]
            if any("permessage-deflate" in h for h in extensions):
                self._inflater = zlib.decompressobj(-15)
            self.opened.set_result(None)
        self._read_frames()

    def _read_frames(self) -> None:
        buffer, pos = self._buffer, 0
        while len(buffer) - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1] & 0x7F
            start = pos + 2
            if length >= 126:
                size = 2 if length == 126 else 8
                if len(buffer) < start + size:
                    break
                length = int.from_bytes(buffer[start : start + size], "big")
                start += size
            if len(buffer) < start + length:
                break
            payload = bytes(buffer[start : start + length])
            pos = start + length
            if not first & 0x80:
                raise NotImplementedError("fragmented message")
            opcode = first & 0x0F
            if opcode == 0x1:
                if first & 0x40:  # RSV1: compressed (RFC 7692)
                    payload = self._inflater.decompress(payload + b"\x00\x00\xff\xff")
                self._endpoint.on_text(self, payload.decode())
            elif opcode == 0x9:
                self._send_frame(0xA, payload)  # pong: uvicorn closes sockets that do not answer
            elif opcode == 0x8 and self._transport is not None:
                self._transport.close()
        del buffer[:pos]

    def start(self) -> None:
        """Once upgraded: the protocol's first message (graphql-transport-ws: connection_init)."""
        if self._endpoint.init is not None:
            self.send_text(self._endpoint.init)

    def send_text(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        assert self._transport is not None and len(payload) < 1 << 16
        if len(payload) < 126:
            header = bytes((0x80 | opcode, 0x80 | len(payload)))
        else:
            header = bytes((0x80 | opcode, 0x80 | 126)) + len(payload).to_bytes(2, "big")
        mask = os.urandom(4)  # client frames must be masked
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self._transport.write(header + mask + masked)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


TextHandler = Callable[[Subscriber, str], None]


@dataclass
class Run:
    expected: int
    latencies: list[float] = field(default_factory=list)
    last_arrival: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, sent_at: float) -> None:
        now = time.time()
        self.latencies.append(now - sent_at)
        self.last_arrival = now
        if len(self.latencies) >= self.expected:
            self.done.set()


@dataclass
class Recorder:
    """Where arrivals go: the phase (steady, burst) being measured."""

    run: Run = field(default_factory=lambda: Run(expected=0))
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Endpoint:
    path: str
    subprotocol: str | None
    init: str | None
    """The client's first message after the upgrade."""
    on_text: TextHandler


def graphql_endpoint(token: str, query: str, recorder: Recorder) -> Endpoint:
    init = json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    subscribe = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}})

    def on_text(client: Subscriber, text: str) -> None:
        body: dict[str, Any] = orjson.loads(text)
        kind = body.get("type")
        if kind == "next" and body["payload"].get("data"):
            recorder.run.record(body["payload"]["data"]["queueEvents"]["data"]["t"])
        elif kind == "connection_ack":
            client.send_text(subscribe)
            client.ready.set_result(None)
        else:  # an error: counted and shown, so a broken run cannot pass for a slow one
            recorder.failures.append(text)

    return Endpoint("/graphql", "graphql-transport-ws", init, on_text)


def raw_endpoint(recorder: Recorder) -> Endpoint:
    def on_text(client: Subscriber, text: str) -> None:
        if text == "ready":
            client.ready.set_result(None)
        else:
            recorder.run.record(orjson.loads(text)["data"]["t"])

    return Endpoint("/bench/raw", None, None, on_text)


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
    mode: str
    server_cpu: float
    client_cpu: float
    p50_ms: float
    p99_ms: float
    steady_delivered: int
    failures: list[str]
    steady_expected: int
    burst_msgs_per_s: float

    def burst_events_per_s(self, clients: int) -> float:
        return self.burst_msgs_per_s / clients


@dataclass
class Bench:
    args: argparse.Namespace
    port: int
    tokens: list[str]
    """One per client (round robin)."""
    log: EventLog
    server_pid: int
    next_sequence: int = 1

    def events(self, count: int) -> list[DomainEvent]:
        first, self.next_sequence = self.next_sequence, self.next_sequence + count
        return [event(s) for s in range(first, first + count)]

    def endpoint(self, mode: str, client: int, recorder: Recorder) -> Endpoint:
        if mode == "raw":
            return raw_endpoint(recorder)
        token = self.tokens[client % len(self.tokens)]
        return graphql_endpoint(token, AUDIENCES[self.args.audience], recorder)

    async def connect(self, mode: str, recorder: Recorder) -> list[Subscriber]:
        loop = asyncio.get_running_loop()
        clients: list[Subscriber] = []
        for i in range(self.args.clients):
            endpoint = self.endpoint(mode, i, recorder)
            _, client = await loop.create_connection(
                functools.partial(Subscriber, endpoint, self.args.deflate),
                "127.0.0.1",
                self.port,
            )
            clients.append(client)
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # do not SYN-flood the listener
        await asyncio.wait_for(asyncio.gather(*(c.opened for c in clients)), 120)
        for client in clients:
            client.start()
        await asyncio.wait_for(asyncio.gather(*(c.ready for c in clients)), 120)
        await asyncio.sleep(1.0)  # subscriptions registered with the fan-out
        return clients

    async def measure(self, mode: str) -> Figures:
        """Steady rate, then a burst, through `mode`'s clients; both paths measured alike."""
        args, clients = self.args, self.args.clients
        recorder = Recorder()
        subscribers = await self.connect(mode, recorder)
        count = int(args.rate * args.seconds)
        steady = recorder.run = Run(expected=count * clients)
        server_cpu0, client_cpu0 = cpu_seconds(self.server_pid), time.process_time()
        start = time.monotonic()
        for i in range(count):
            await self.log.append(self.events(1)[0])
            delay = start + (i + 1) / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(steady.done.wait(), 30)
        steady_wall = time.monotonic() - start
        server_cpu = (cpu_seconds(self.server_pid) - server_cpu0) / steady_wall
        client_cpu = (time.process_time() - client_cpu0) / steady_wall

        burst = recorder.run = Run(expected=args.burst * clients)
        first_append = time.time()
        for offset in range(0, args.burst, 50):
            await self.log.append_many(self.events(min(50, args.burst - offset)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(burst.done.wait(), 120)
        elapsed = max(burst.last_arrival - first_append, 1e-9)
        for subscriber in subscribers:
            subscriber.close()

        lat = sorted(steady.latencies) or [float("nan")]
        return Figures(
            mode=mode,
            server_cpu=server_cpu,
            client_cpu=client_cpu,
            p50_ms=statistics.median(lat) * 1000,
            p99_ms=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            steady_delivered=len(steady.latencies),
            failures=recorder.failures,
            steady_expected=count * clients,
            burst_msgs_per_s=len(burst.latencies) / elapsed,
        )


async def principals(args: argparse.Namespace, redis: Redis, prefix: str, secret: str) -> list[str]:
    """The subscribers' tokens; for agents, also their call center in the live snapshot."""
    signer = TokenSigner(secret)
    if args.audience == "admins":
        return [signer.issue(Principal(TENANT, "bench", Role.ADMIN))]
    extensions = [str(10_000 + i) for i in range(args.clients)]
    call_center = CallCenterSnapshot(
        CALL_CENTER, CALL_CENTER, "Bench", "Basic", 100, members=tuple(extensions)
    )
    await SnapshotStore(redis, prefix).write_call_center(TENANT, call_center)
    return [signer.issue(Principal(TENANT, e, Role.AGENT, extension=e)) for e in extensions]


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
    load_before = os.getloadavg()[0]
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
        bench = Bench(
            args,
            port,
            await principals(args, redis, prefix, secret),
            EventLog(redis, prefix),
            child.pid,
        )
        figures: list[Figures] = []
        for round_ in range(args.rounds):
            # Alternate which path goes first: load from other work drifts during a run.
            order = ("raw", "graphql") if round_ % 2 == 0 else ("graphql", "raw")
            for mode in order:
                figures.append(await bench.measure(mode))
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:  # uvicorn waits for its websockets to close
            child.kill()
            child.wait()
        tmp.unlink(missing_ok=True)
    report(args, figures, load_before)


def report(args: argparse.Namespace, figures: list[Figures], load_before: float) -> None:
    served = bool(WEB_SERVER_OPTIONS.get("ws_per_message_deflate", True))
    deflate = "permessage-deflate" if args.deflate and served else "no compression"
    print(
        f"event fan-out: {args.clients} websocket subscribers ({args.audience}, {deflate}), "
        "one server process"
    )
    print(
        f"steady {args.rate:g} events/s for {args.seconds:g} s; burst of {args.burst} events; "
        f"{args.rounds} rounds; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(
        f"{'':8} {'p50 ms':>8} {'p99 ms':>8} {'delivered':>15} "
        f"{'burst msg/s':>12} {'burst ev/s':>11} {'cpu server/client (steady)':>27}"
    )
    for f in figures:
        print(
            f"{f.mode:8} {f.p50_ms:8.1f} {f.p99_ms:8.1f} "
            f"{f.steady_delivered:>7}/{f.steady_expected:<7} "
            f"{f.burst_msgs_per_s:12.0f} {f.burst_events_per_s(args.clients):11.1f} "
            f"{f.server_cpu:13.0%} / {f.client_cpu:.0%}"
        )
        if f.failures:
            print(f"  {len(f.failures)} error messages, the first: {f.failures[0]}")

    def median(mode: str, value: Callable[[Figures], float]) -> float:
        return statistics.median(value(f) for f in figures if f.mode == mode)

    for mode in ("raw", "graphql"):
        print(
            f"median {mode}: p50 {median(mode, lambda f: f.p50_ms):.1f} ms, "
            f"p99 {median(mode, lambda f: f.p99_ms):.1f} ms, "
            f"burst {median(mode, lambda f: f.burst_events_per_s(args.clients)):.1f} events/s"
        )
    throughput = median("graphql", lambda f: f.burst_msgs_per_s) / median(
        "raw", lambda f: f.burst_msgs_per_s
    )
    p99 = median("graphql", lambda f: f.p99_ms) / median("raw", lambda f: f.p99_ms)
    print(f"ratio graphql/raw (medians): throughput {throughput:.2f}, p99 latency {p99:.2f}x")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--burst", type=int, default=400)
    parser.add_argument("--audience", choices=sorted(AUDIENCES), default="admins")
    parser.add_argument(
        "--rounds", type=int, default=3, help="raw and graphql measured alternately"
    )
    parser.add_argument(
        "--deflate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="offer permessage-deflate, as browsers do",
    )
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

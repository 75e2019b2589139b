"""Benchmark: N supervisor dashboards connected over Dash websocket callbacks.

Starts the CTI web process with the dashboard mounted (a child process, so its CPU can be read
from /proc), signs N websocket clients in as the demo supervisor (each speaks Dash's websocket
callback protocol the way the browser's worker does: one `callback_request` for the persistent
live callback, answers to `get_props_request`), then publishes waiting calls as the engine does
(snapshot, then CALL_ADDED on the tenant's stream) and measures, per client, the time from the
event's XADD to the first websocket message that shows the call. Prints latency percentiles,
messages per client and the server's CPU while idle (ticking clocks) and while events flow.

    .venv/bin/python bench/dashboard_clients.py [--clients 50] [--events 40] [--rate 4]

Redis at 127.0.0.1:6379 under a key prefix of its own (deleted at the end); free ports only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from websockets.typing import Origin  # noqa: E402

from cti.event_log import EventLog  # noqa: E402
from cti.snapshots import SnapshotStore, WaitingCallSnapshot  # noqa: E402
from queueing.events import DomainEvent, EventType  # noqa: E402
from tests.pbx_core.support import free_port  # noqa: E402
from tests.supervisor_ui.sv_world import (  # noqa: E402
    REDIS_URL,
    TENANT,
    TOKEN_SECRET,
    demo_snapshot,
    seed_users,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
COMPRESSION = True
"""Offer permessage-deflate as browsers do (`--no-compression` to compare)."""


def serve(port: int, prefix: str, database_url: str) -> None:
    """The child process: the CTI app with the dashboard, no call control."""
    import uvicorn

    from cti.app import create_app
    from cti.passwords import TEST_COST
    from cti.settings import CtiSettings
    from supervisor_ui import mount

    settings = CtiSettings(
        token_secret=TOKEN_SECRET,
        redis_url=REDIS_URL,
        key_prefix=prefix,
        database_url=database_url,
        password_cost=TEST_COST,
    )
    app = create_app(settings)
    mount(app)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Client:
    index: int
    messages: int = 0
    bytes: int = 0
    seen: dict[str, float] = field(default_factory=dict)
    """call id -> perf_counter when a message first showed it"""
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    watch: set[str] = field(default_factory=set)


async def run_client(
    client: Client,
    ws_url: str,
    origin: str,
    output: str,
    session: dict[str, object],
    stop: asyncio.Event,
) -> None:
    renderer = f"bench-{client.index}-{uuid.uuid4().hex[:6]}"
    async with websockets.connect(
        ws_url,
        origin=Origin(origin),
        max_size=None,
        ping_interval=None,
        compression="deflate" if COMPRESSION else None,
    ) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "callback_request",
                    "rendererId": renderer,
                    "requestId": uuid.uuid4().hex,
                    "payload": {
                        "output": output,
                        "outputs": [],
                        "inputs": [],
                        "state": [],
                        "changedPropIds": [],
                    },
                }
            )
        )
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            now = time.perf_counter()
            text = raw if isinstance(raw, str) else raw.decode()
            client.messages += 1
            client.bytes += len(text)
            for call_id in list(client.watch):
                if call_id in text:
                    client.seen[call_id] = now
                    client.watch.discard(call_id)
            if "cc-7001-waiting" in text:
                client.ready.set()
            if "get_props_request" in text:
                batch = json.loads(text)
                for message in batch if isinstance(batch, list) else [batch]:
                    if message.get("type") == "get_props_request":
                        await ws.send(
                            json.dumps(
                                {
                                    "type": "get_props_response",
                                    "rendererId": renderer,
                                    "requestId": message["requestId"],
                                    "payload": {"data": session},
                                }
                            )
                        )


async def publish_waiting(redis: Redis, prefix: str, call_id: str) -> float:
    """Snapshot first, then the event (as the engine runtime does); returns the XADD time."""
    store, log = SnapshotStore(redis, prefix), EventLog(redis, prefix)
    center = await store.call_center(TENANT, "7001")
    assert center is not None
    waiting = WaitingCallSnapshot(call_id, "+31201234567", 1, 0, time.time())
    await store.write_call_center(TENANT, replace(center, waiting_calls=(waiting,)))
    event = DomainEvent(
        type=EventType.CALL_ADDED,
        sequence=await log.last_sequence(TENANT) + 1,
        timestamp=time.time(),
        tenant=TENANT,
        reason="bench",
        call_center_id="7001",
        call_id=call_id,
        caller="+31201234567",
        data={"priority": 0, "position": 1, "called": "7001"},
    )
    published = time.perf_counter()
    await log.append(event)
    return published


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def bench(clients: int, events: int, rate: float, idle_seconds: float) -> None:
    prefix = f"svbench:{uuid.uuid4().hex[:10]}"
    work = Path(tempfile.mkdtemp(prefix="svbench-"))
    database_url = f"sqlite:///{work / 'cti.db'}"
    seed_users(database_url)
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    await SnapshotStore(redis, prefix).write(TENANT, demo_snapshot(time.time()))
    port = free_port(socket.SOCK_STREAM)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), prefix, database_url], cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            for _ in range(200):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            login = await http.post(
                "/api/v1/auth/token", json={"username": "supervisor", "password": "pwsupervisor"}
            )
            token = login.json()["access_token"]
            await http.get("/supervisor/")
            deps = (await http.get("/supervisor/_dash-dependencies")).json()
        output = next(d["output"] for d in deps if d.get("persistent"))
        session = {"token": token, "username": "supervisor", "tenant": TENANT}
        ws_url = f"ws://127.0.0.1:{port}/supervisor/_dash-ws-callback"
        board = [Client(i) for i in range(clients)]
        tasks = [
            asyncio.create_task(run_client(c, ws_url, base, output, session, stop)) for c in board
        ]
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in board)), 60)
        print(
            f"{clients} dashboards connected and showing the board "
            f"after {time.perf_counter() - started:.1f} s"
        )

        cpu0, wall0 = cpu_seconds(server.pid), time.perf_counter()
        messages0 = sum(c.messages for c in board)
        await asyncio.sleep(idle_seconds)
        idle_cpu = (cpu_seconds(server.pid) - cpu0) / (time.perf_counter() - wall0)
        idle_messages = (sum(c.messages for c in board) - messages0) / clients / idle_seconds

        latencies: list[float] = []
        missed = 0
        cpu0, wall0 = cpu_seconds(server.pid), time.perf_counter()
        messages0 = sum(c.messages for c in board)
        for _ in range(events):
            call_id = f"bench-{uuid.uuid4().hex[:10]}"
            for c in board:
                c.watch.add(call_id)
            published = await publish_waiting(redis, prefix, call_id)
            deadline = time.perf_counter() + 5
            while any(call_id in c.watch for c in board) and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            for c in board:
                if call_id in c.seen:
                    latencies.append(1000 * (c.seen[call_id] - published))
                else:
                    missed += 1
                    c.watch.discard(call_id)
            await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - published)))
        busy_wall = time.perf_counter() - wall0
        busy_cpu = (cpu_seconds(server.pid) - cpu0) / busy_wall
        busy_messages = (sum(c.messages for c in board) - messages0) / clients / busy_wall

        print(
            f"events published: {events} at {rate:g}/s; deliveries measured: "
            f"{len(latencies)} (missed within 5 s: {missed})"
        )
        if latencies:
            print(
                "event XADD -> websocket message showing the call, ms: "
                f"p50 {statistics.median(latencies):.1f}  p90 {percentile(latencies, 0.9):.1f}  "
                f"p99 {percentile(latencies, 0.99):.1f}  max {max(latencies):.1f}"
            )
        print(
            f"server CPU, {clients} dashboards idle (clocks ticking each second): "
            f"{100 * idle_cpu:.1f} % of one core; {idle_messages:.1f} messages/s per client"
        )
        print(
            f"server CPU while events flow: {100 * busy_cpu:.1f} % of one core; "
            f"{busy_messages:.1f} messages/s per client"
        )
        print(
            f"server RSS: {rss_mib(server.pid):.0f} MiB; "
            f"bytes received per client: {sum(c.bytes for c in board) / clients / 1024:.0f} KiB"
        )
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--rate", type=float, default=4.0, help="events per second")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds measured idle")
    parser.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    args = parser.parse_args()
    global COMPRESSION
    COMPRESSION = not args.no_compression
    asyncio.run(bench(args.clients, args.events, args.rate, args.idle))


if __name__ == "__main__":
    main()

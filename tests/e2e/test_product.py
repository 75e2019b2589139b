"""The whole product as `make demo` runs it, on free ports: a SIPp caller dials 7001, a GraphQL
websocket subscriber sees the call's life in order, the agent (a SIPp phone) answers."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport
from redis import Redis as SyncRedis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from common.job_queues import SERIALIZER
from crm_connectors.jobs import call_log_job_id
from reports.db import make_engine
from reports.models import CallDetailRecord
from tests.pbx_core.support import Sipp, SippResult, agent_phone, free_port, register, run_sipp
from tests.product_harness import ProductThread

CALLER = "+31201234567"
QUEUE_EVENTS = gql(
    """subscription($cc: ID, $after: Int) { queueEvents(callCenterId: $cc, afterSequence: $after) {
         type callId callCenterId caller agent reason sequence } }"""
)


METRICS_TOKEN = "e2e-metrics-token"


@pytest.fixture
def product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProductThread]:
    monkeypatch.setenv("OPENCC_METRICS_TOKEN", METRICS_TOKEN)
    running = ProductThread.start(tmp_path / "var", "product")
    yield running
    running.stop()


async def token(base: str, username: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])


async def graphql(base: str, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as http:
        reply = await http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        result: dict[str, Any] = reply.json()
        return result


def trunk_call(
    product: ProductThread, work_dir: Path, to: str, hold_ms: int
) -> asyncio.Task[SippResult]:
    """A caller from the trunk to `to`, holding on for `hold_ms`, running while the test looks."""
    return asyncio.create_task(
        run_sipp(
            "trunk_call.xml",
            work_dir=work_dir,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": to, "media_port": free_port(), "hold_ms": hold_ms},
        )
    )


async def test_call_to_7001_is_seen_live_offered_answered_and_released(
    product: ProductThread, tmp_path: Path
) -> None:
    handle, settings = product.handle, product.settings
    base = product.base_url
    supervisor = await token(base, "supervisor", "pwsupervisor")
    agent = await token(base, "1001", "pw1001")

    phone_port = free_port()
    registered = await register(settings.sip_port, "1001", phone_port, tmp_path)
    assert registered.returncode == 0, registered.errors
    phone = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=phone_port,
        variables={"media_port": free_port(), "ring_ms": 300, "talk_ms": 800},
    ).start()

    transport = WebsocketsTransport(
        url=f"ws://{settings.host}:{settings.http_port}/graphql",
        init_payload={"Authorization": f"Bearer {supervisor}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    seen: list[dict[str, Any]] = []
    added = asyncio.Event()
    released = asyncio.Event()

    async def subscribe() -> None:
        async with Client(transport=transport) as session:
            request = QUEUE_EVENTS
            # From the stream's start, so a subscription slower to start than the call (a loaded
            # machine) still sees its CALL_ADDED; only this caller's call is kept.
            request.variable_values = {"cc": "7001", "after": -1}
            async for result in session.subscribe(request):
                event = result["queueEvents"]
                if seen and event["callId"] != seen[0]["callId"]:
                    continue
                if not seen and (event["type"] != "CALL_ADDED" or event["caller"] != CALLER):
                    continue
                seen.append(event)
                if event["type"] == "CALL_ADDED":
                    added.set()
                if event["type"] == "CALL_RELEASED":
                    released.set()
                    return

    subscriber = asyncio.create_task(subscribe())
    try:
        call = asyncio.create_task(
            run_sipp(
                "trunk_call.xml",
                work_dir=tmp_path,
                remote=("127.0.0.1", settings.sip_port),
                variables={
                    "from": CALLER,
                    "to": "7001",
                    "media_port": free_port(),
                    "hold_ms": 6000,
                },
            )
        )
        await asyncio.wait_for(added.wait(), 45)
        answer = await graphql(
            base, agent, "mutation { setAgentState(state: AVAILABLE) { accepted } }"
        )
        assert answer == {"data": {"setAgentState": {"accepted": True}}}
        caller_result = await call
        assert caller_result.returncode == 0, caller_result.errors
        await asyncio.wait_for(released.wait(), 45)
    finally:
        subscriber.cancel()
        phone.kill()
    kinds = [e["type"] for e in seen]
    assert kinds[0] == "CALL_ADDED" and "CALL_OFFERED" in kinds and "CALL_ANSWERED" in kinds
    assert kinds.index("CALL_OFFERED") < kinds.index("CALL_ANSWERED") < kinds.index("CALL_RELEASED")
    assert seen[0]["caller"] == CALLER
    offered = next(e for e in seen if e["type"] == "CALL_OFFERED")
    assert offered["agent"] == "1001" and offered["reason"].startswith("circular: 1001")
    sequences = [e["sequence"] for e in seen]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert handle.runtime is not None
    agents = {a.extension: a.state.value for a in await handle.runtime.agents("demo")}
    assert agents["1001"] in ("WRAP_UP", "AVAILABLE")

    # In wrap-up the call is over; the agent still codes it.
    coded = await graphql(
        base,
        agent,
        'mutation($id: ID!) { enterDisposition(callId: $id, code: "resolved") { accepted } }',
        id=seen[0]["callId"],
    )
    assert coded == {"data": {"enterDisposition": {"accepted": True}}}, coded
    wrong = await graphql(
        base,
        agent,
        'mutation($id: ID!) { enterDisposition(callId: $id, code: "nonsense") { accepted } }',
        id=seen[0]["callId"],
    )
    assert wrong["errors"] and "nonsense" in wrong["errors"][0]["message"]

    # The coded call goes to the CRM call-logging queue (no worker runs in this test).
    connection = SyncRedis.from_url("redis://127.0.0.1:6379/0")
    try:
        job = None
        for _ in range(50):
            with contextlib.suppress(NoSuchJobError):
                job_id = call_log_job_id("demo", seen[0]["callId"])
                job = Job.fetch(job_id, connection=connection, serializer=SERIALIZER)
                break
            await asyncio.sleep(0.1)
        assert job is not None, "the finished call was not handed to CRM call logging"
        logged = job.args[0]
        assert (logged["number"], logged["agent"], logged["disposition"]) == (
            CALLER,
            "1001",
            "resolved",
        )
        job.delete()
    finally:
        connection.close()

    # The ingester has followed the stream into SQL: the contract's report counts the call.
    async with httpx.AsyncClient(base_url=base) as http:
        headers = {"Authorization": f"Bearer {supervisor}"}
        now = datetime.now(UTC).replace(microsecond=0)
        day = {
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        }
        row: dict[str, Any] = {}
        for _ in range(100):
            reply = await http.get("/api/v1/reports/call-centers", params=day, headers=headers)
            assert reply.status_code == 200, reply.text
            row = next((r for r in reply.json() if r["number"] == "7001"), {})
            if row.get("answered") == 1:
                break
            await asyncio.sleep(0.1)
        assert (row["offered"], row["answered"], row["abandoned"]) == (1, 1, 0)
        assert row["service_level"] is not None and row["aht_seconds"] > 0
        bad = await http.get(
            "/api/v1/reports/call-centers",
            params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            headers=headers,
        )
        assert bad.status_code == 400 and bad.json()["detail"]
        assert (await http.get("/metrics")).status_code == 401
        metrics = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert "opencc_crm_errors" in metrics.text and "opencc_calls_waiting" in metrics.text
        # The PBX's own SIP figures: this test's call (and registrations) went through it.
        counts = {
            direction: float(value)
            for direction, value in re.findall(
                r'opencc_sip_messages_total\{direction="(\w+)"\} (\S+)', metrics.text
            )
        }
        assert counts["received"] >= 5 and counts["sent"] >= 5, counts
        assert re.search(r"^opencc_sip_transactions \d", metrics.text, re.MULTILINE)
        forbidden = await http.get(
            "/api/v1/reports/call-centers", params=day, headers={"Authorization": f"Bearer {agent}"}
        )
        assert forbidden.status_code == 403


async def test_click_to_dial_from_a_crm_plugin_rings_the_agent_then_the_destination(
    product: ProductThread, tmp_path: Path
) -> None:
    settings = product.settings
    base = product.base_url
    agent = await token(base, "1001", "pw1001")
    phones = []
    for extension, scenario in (("1001", "agent_answer_hangup.xml"), ("1002", "agent_answer.xml")):
        port = free_port()
        registered = await register(settings.sip_port, extension, port, tmp_path)
        assert registered.returncode == 0, registered.errors
        phones.append(
            await Sipp(
                scenario,
                work_dir=tmp_path,
                local_port=port,
                variables={"media_port": free_port(), "ring_ms": 200, "talk_ms": 1000},
            ).start()
        )
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            bad = await http.post(
                "/api/v1/calls",
                json={"extension": "1001", "destination": "<script>"},
                headers={"Authorization": f"Bearer {agent}"},
            )
            assert 400 <= bad.status_code < 500
            reply = await http.post(
                "/api/v1/calls",
                json={"extension": "1001", "destination": "1002"},
                headers={"Authorization": f"Bearer {agent}"},
            )
        assert reply.status_code == 202, reply.text
        assert reply.json()["call_id"].startswith("c2d-")
        for phone in phones:  # the agent answered and hung up; the destination got the BYE
            assert (await phone.wait()).returncode == 0
    finally:
        for phone in phones:
            phone.kill()


async def test_an_extension_call_leaves_a_call_detail_record_in_the_reports(
    product: ProductThread, tmp_path: Path
) -> None:
    callee = await agent_phone(product.sip_port, "1002", "agent_answer.xml", tmp_path)
    try:
        result = await run_sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": "1001", "to": "1002", "media_port": free_port(), "hold_ms": 500},
            extra=["-au", "1001", "-ap", "pw1001"],
        )
        assert result.returncode == 0, result.errors
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    engine = make_engine(product.handle.database_url)
    try:
        rows: list[Any] = []
        for _ in range(100):  # the ingester follows the CDR stream
            with engine.connect() as connection:
                table = CallDetailRecord.__table__
                query = select(table).where(table.c.origin != "queue")
                rows = list(connection.execute(query).mappings())
            if rows:
                break
            await asyncio.sleep(0.1)
    finally:
        engine.dispose()
    assert len(rows) == 1
    (row,) = rows
    assert (row["caller"], row["called"], row["direction"]) == ("1001", "1002", "internal")
    assert row["answer_at"] is not None and row["end_at"] >= row["answer_at"]
    assert row["category"] == "national" and row["duration_seconds"] > 0

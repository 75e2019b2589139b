"""The read-only live interface on real Redis, the per-tenant feed, and the API client against
the real web process (whose authorization is the one that counts)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from supervisor_ui.actions import ActionInput, LiveIndex, perform
from supervisor_ui.api_client import ApiError, SupervisorApi
from supervisor_ui.hub import LiveHub
from supervisor_ui.live import RedisLiveSource, visible
from tests.supervisor_ui.sv_world import REDIS_URL, World


def call_id() -> str:
    return f"lv-{uuid.uuid4().hex[:8]}"


async def test_live_source_reads_snapshot_and_stream(world: World) -> None:
    source = RedisLiveSource.from_url(REDIS_URL, world.prefix)
    try:
        before = await source.last_id("demo")
        first = call_id()
        event = world.control.add_waiting("7002", first, "+31101010101", priority=3)
        snapshot = await source.snapshot("demo")
        assert [c.number for c in snapshot.call_centers] == ["7001", "7002", "7003"]
        sales = snapshot.call_center("7002")
        assert sales is not None and sales.tier == "Standard" and not sales.premium
        assert [(w.call_id, w.priority) for w in sales.waiting_calls][-1] == (first, 3)
        assert len(snapshot.agents) == 10

        last, events = await source.wait_events("demo", before, block_ms=100)
        assert [e.call_id for e in events] == [first]
        assert events[0].type == "CALL_ADDED" and events[0].sequence == event.sequence
        assert await source.wait_events("demo", last, block_ms=50) == (last, [])

        today = await source.events_since("demo", time.time() - 3600, last)
        assert today[-1].call_id == first
        assert await source.events_since("demo", time.time() + 60, last) == []

        only_helpdesk = visible(snapshot, ["7001"])
        assert [c.id for c in only_helpdesk.call_centers] == ["7001"]
        assert {a.extension for a in only_helpdesk.agents} == {"1001", "1002", "1003"}
    finally:
        await source.close()


async def test_feed_wakes_on_a_published_event(world: World) -> None:
    hub = LiveHub(
        lambda: RedisLiveSource.from_url(REDIS_URL, world.prefix),
        ZoneInfo("Europe/Amsterdam"),
        block_ms=200,
    )
    try:
        feed = await hub.acquire("demo")
        offered = feed.stats.centers["7003"].offered if "7003" in feed.stats.centers else 0
        version = feed.version
        fresh = call_id()
        world.control.add_waiting("7003", fresh, "+31102020202")
        for _ in range(50):
            if await feed.wait_newer(version, timeout=1.0) and any(
                w.call_id == fresh for c in feed.snapshot.call_centers for w in c.waiting_calls
            ):
                break
            version = feed.version
        center = feed.snapshot.call_center("7003")
        assert center is not None and fresh in {w.call_id for w in center.waiting_calls}
        assert feed.stats.centers["7003"].offered == offered + 1
        assert feed.recent[-1].call_id == fresh
        same = await hub.acquire("demo")
        assert same is feed and feed.users == 2
        hub.release(same)
        hub.release(feed)
    finally:
        await hub.close()


@pytest.fixture
async def api(world: World) -> AsyncIterator[SupervisorApi]:
    client = SupervisorApi(httpx.AsyncClient(base_url=world.server.base_url, timeout=10.0))
    try:
        yield client
    finally:
        await client.close()


async def test_sign_in_and_visible_call_centers(api: SupervisorApi) -> None:
    session = await api.sign_in("supervisor", "pwsupervisor")
    assert (session.username, session.tenant, session.role) == ("supervisor", "demo", "supervisor")
    _, centers = await api.session_for(session.token)
    assert [(c.id, c.name, c.tier) for c in centers] == [
        ("7001", "Helpdesk", "Basic"),
        ("7002", "Sales", "Standard"),
        ("7003", "Service", "Premium"),
    ]
    lead = await api.sign_in("helpdesk-lead", "pwlead")
    assert [c.id for c in await api.call_centers(lead.token)] == ["7001"]

    with pytest.raises(ApiError) as wrong:
        await api.sign_in("supervisor", "nope")
    assert wrong.value.code == "UNAUTHENTICATED"
    with pytest.raises(ApiError) as agent:
        await api.sign_in("1001", "pw1001")
    assert agent.value.code == "FORBIDDEN"
    assert agent.value.message == "this dashboard is for supervisors; sign in as one"
    with pytest.raises(ApiError) as forged:
        await api.call_centers(session.token[:-4] + "AAAA")
    assert forged.value.code == "UNAUTHENTICATED"


async def test_an_agents_stored_token_opens_no_board(world: World, api: SupervisorApi) -> None:
    """Issue 19: sign-in refused agents, but a token handed to the board (the stored session
    the live board checks) was taken as long as the API answered it."""
    async with httpx.AsyncClient(base_url=world.server.base_url) as http:
        reply = await http.post(
            "/api/v1/auth/token", json={"username": "1001", "password": "pw1001"}
        )
    agent_token = str(reply.json()["access_token"])
    with pytest.raises(ApiError) as refused:
        await api.session_for(agent_token)
    assert (refused.value.code, refused.value.message) == (
        "FORBIDDEN",
        "this dashboard is for supervisors; sign in as one",
    )
    supervisor = await api.sign_in("supervisor", "pwsupervisor")
    session, _ = await api.session_for(supervisor.token)
    assert (session.role, session.extension) == ("supervisor", "1100")


async def test_server_refuses_what_the_supervisor_may_not_do(
    api: SupervisorApi, world: World
) -> None:
    """The API's checks hold even when the page's own checks are bypassed."""
    sales_call = call_id()
    world.control.add_waiting("7002", sales_call, "+31103030303")
    lead = await api.sign_in("helpdesk-lead", "pwlead")
    before = list(world.control.commands)
    # A page tampered with to act on a Sales call: the API still says no.
    index = LiveIndex(waiting={sales_call: {"cc": "7002"}}, agent_calls={}, centers={})
    outcome = await perform(
        api, lead.token, "move", ActionInput(call_id=sales_call, target_call_center="7001"), index
    )
    assert not outcome.ok and "do not supervise" in outcome.message
    assert world.control.commands == before

    # Answered a moment ago, but the page still lists it as waiting.
    boss = await api.sign_in("supervisor", "pwsupervisor")
    world.control.answer(sales_call, "1004")
    events = world.control.events()
    index = LiveIndex(waiting={sales_call: {"cc": "7002"}}, agent_calls={}, centers={})
    outcome = await perform(
        api, boss.token, "move", ActionInput(call_id=sales_call, target_call_center="7003"), index
    )
    assert not outcome.ok
    assert "no longer waiting" in outcome.message and "Nothing was changed" in outcome.message
    assert world.control.commands == before
    assert world.control.events() == events


def test_routes_of_the_web_process(world: World) -> None:
    base = world.server.base_url
    bare = httpx.get(f"{base}/supervisor", follow_redirects=False)
    assert bare.status_code == 307 and bare.headers["location"] == "/supervisor/"
    page = httpx.get(f"{base}/supervisor/")
    assert page.status_code == 200 and "<title>Supervisor</title>" in page.text
    # Dash's catch-all is off: the API's unknown paths stay 404.
    assert httpx.get(f"{base}/api/v1/no-such-thing").status_code == 404
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert world.server.dashboard.redis_target() == (REDIS_URL, world.prefix)

"""Two nodes, one tenant, one Redis (cti/engine_leased.py, docs/deploy.md "A tenant's queue
engine on one node at a time"): only the lease holder offers calls; when it stops renewing the
other takes the tenant over from its journal; the old holder's late write is fenced out and it
steps down; a restarted node takes its own lease back at once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from common import redis_keys
from cti.control import ControlError
from cti.demo_company import demo_tenant_config
from cti.engine_command_relay import WAIT_SECONDS, CommandRelay
from cti.engine_lease import LeaseStore
from cti.engine_lease_policy import LeaseTimes
from cti.engine_leased import HOLD_ON_PROMPT, LeasedEngineRuntime
from cti.event_log import EventLog
from cti.snapshots import AgentState, SnapshotStore, StateCause
from pbx_core import call_control as pbx
from queueing.events import EventType
from tests.cti.test_engine_dispatch import OPEN, RecordingPbx

TIMES = LeaseTimes(ttl=1.0, renew=0.2, margin=0.3)
"""Short, so a lease left to expire in Redis does so within the test."""
CALLER = "+31201234567"


class FrozenClock:
    """A node's lease clock that only moves when the test moves it: a node paused between its
    check of the lease and its write, or one paused for longer than the lease."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Node:
    runtime: LeasedEngineRuntime
    port: RecordingPbx
    clock: FrozenClock

    def offers(self) -> list[str]:
        return [c.call_id for c in self.port.sent if isinstance(c, pbx.OfferCall)]


Nodes = Callable[..., Node]
"""`nodes(name, wait=...)`: a node, relaying commands that wait `wait` s for the holder."""


@pytest.fixture
async def nodes(redis: Redis, prefix: str) -> AsyncIterator[Nodes]:
    made: list[Node] = []

    def make(name: str, wait: float = WAIT_SECONDS) -> Node:
        port, clock = RecordingPbx(), FrozenClock()
        runtime = LeasedEngineRuntime(
            [demo_tenant_config()],
            port,
            redis,
            EventLog(redis, prefix),
            SnapshotStore(redis, prefix),
            prefix=prefix,
            node=name,
            times=TIMES,
            relay=CommandRelay(redis, prefix, wait=wait),
            lease_clock=clock,
            clock=lambda: OPEN,
        )
        made.append(Node(runtime, port, clock))
        return made[-1]

    yield make
    for node in made:
        await node.runtime.stop()


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(15):
        while not condition():
            await asyncio.sleep(0.05)


async def available(node: Node, extension: str) -> None:
    await node.runtime.control.set_agent_state(
        "demo", extension, AgentState.AVAILABLE, unavailable_code=None,
        cause=StateCause.AGENT, by=extension,
    )  # fmt: skip


async def agent_state(node: Node, extension: str) -> AgentState:
    return {a.extension: a.state for a in await node.runtime.agents("demo")}[extension]


def offered(call_id: str) -> pbx.CallOffered:
    return pbx.CallOffered(call_id, CALLER, "7001", pbx.CallSource.TRUNK, tenant="demo")


async def test_of_two_nodes_only_the_lease_holder_offers_a_call(nodes: Nodes) -> None:
    a, b = nodes("node-a"), nodes("node-b")
    await a.runtime.start()
    await b.runtime.start()
    assert a.runtime.runs("demo") and not b.runtime.runs("demo")

    await available(b, "1001")  # through the standby node: relayed to the holder
    for node in (a, b):
        await node.runtime.on_call_event(offered("c-1"))
    await a.runtime.flush()

    assert a.offers() == ["c-1"] and b.offers() == []
    # The standby node refuses the call as "elsewhere", not as an unknown number.
    assert b.port.sent == [pbx.Reject("c-1", 503, "Service Unavailable")]
    # Its reads answer from the holder's live snapshot in Redis.
    assert [c.agent for c in await b.runtime.active_calls("demo")] == ["1001"]


async def test_the_standby_takes_over_from_the_journal_and_the_old_holder_is_fenced_out(
    nodes: Nodes, redis: Redis, prefix: str
) -> None:
    a, b = nodes("node-a"), nodes("node-b")
    await a.runtime.start()
    await b.runtime.start()
    first = await a.runtime.book_callback("demo", "7001", "0201111111")
    second = await a.runtime.book_callback("demo", "7001", "0202222222")
    await a.runtime.on_call_event(offered("c-waiting"))
    await a.runtime.flush()

    a.runtime.lease.halt()  # node a stops renewing (paused, say) and its lease expires
    await until(lambda: b.runtime.runs("demo"))

    # The callbacks wait on node b in their order; the caller whose SIP dialog was on node a
    # is ended as lost by the platform (docs/runtime.md, the restart sweep).
    [helpdesk] = [c for c in await b.runtime.call_centers("demo") if c.id == "7001"]
    assert [w.call_id for w in helpdesk.waiting_calls] == [first, second]
    await b.runtime.flush()
    events = [e async for e in EventLog(redis, prefix).read_after("demo", 0)]
    lost = [e for e in events if e.type is EventType.CALL_LOST]
    assert [e.call_id for e in lost] == ["c-waiting"]

    # Node a wakes up believing it still holds the lease (its clock did not move): its step is
    # refused by Redis, nothing of it reaches the journal or the stream, and it steps down.
    journal = await redis.lrange(redis_keys.journal_key(prefix, "demo"), 0, -1)
    await a.runtime.on_call_event(offered("c-late"))
    await until(lambda: not a.runtime.runs("demo"))
    assert await redis.lrange(redis_keys.journal_key(prefix, "demo"), 0, -1) == journal
    await b.runtime.flush()
    events = [e async for e in EventLog(redis, prefix).read_after("demo", 0)]
    assert not [e for e in events if e.call_id == "c-late"]
    assert "c-late" not in b.runtime._tenants["demo"].engine.state.calls

    # Node b carries on: an agent who becomes available is offered the first callback.
    await available(b, "1001")
    [dial] = [c for c in b.port.sent if isinstance(c, pbx.Dial)]
    assert dial.call_id.startswith(first) and dial.extension == "1001"
    # A command given to node a now goes to node b, the holder.
    await available(a, "1002")
    assert await agent_state(b, "1002") is AgentState.AVAILABLE


async def paused_holder(nodes: Nodes) -> Node:
    """Node a, holding demo with 1001 available, then paused past its lease (or cut off from
    Redis): another node may hold the tenant now, as far as it can know."""
    a = nodes("node-a")
    await a.runtime.start()
    await available(a, "1001")
    a.runtime.lease.halt()
    a.clock.now += TIMES.ttl
    return a


async def test_a_command_waits_a_moment_for_a_renewal_that_is_only_late(nodes: Nodes) -> None:
    """A loaded node's loop lagged past the trust window: an agent's command is not refused at
    once but carried out when the next round confirms the lease (within `CONFIRM_WAIT_SECONDS`)."""
    a = await paused_holder(nodes)

    async def renew_soon() -> None:
        await asyncio.sleep(0.5)
        await a.runtime.lease.round()

    renewal = asyncio.create_task(renew_soon())
    await available(a, "1002")  # accepted: no ControlError
    await renewal
    assert a.runtime.lease.trusted("demo")


async def test_a_holder_paused_past_its_lease_holds_its_inputs_back_until_it_knows(
    nodes: Nodes,
) -> None:
    a = await paused_holder(nodes)

    await a.runtime.on_call_event(offered("c-1"))
    assert a.offers() == [] and a.runtime.runs("demo")
    # Answered at once and told to hold on, not left ringing while the engine cannot know.
    assert a.port.sent[-2:] == [
        pbx.Answer("c-1"), pbx.PlayPrompt("c-1", f"{HOLD_ON_PROMPT}_nl", then_music=True)
    ]  # fmt: skip
    await a.runtime.on_call_event(pbx.MediaFinished("c-1", f"{HOLD_ON_PROMPT}_nl"))
    with pytest.raises(ControlError) as refused:
        await available(a, "1002")
    assert refused.value.code == "lease_unconfirmed"

    # Nobody took over meanwhile (the fence says so): the lease is its own again, and the
    # caller is offered, not lost.
    await a.runtime.lease.round()
    assert a.offers() == ["c-1"]


async def test_a_paused_holder_whose_tenant_was_taken_over_drops_what_it_held_back(
    nodes: Nodes,
) -> None:
    a, b = nodes("node-a"), nodes("node-b")
    await a.runtime.start()
    await b.runtime.start()
    await available(a, "1001")
    a.runtime.lease.halt()
    await until(lambda: b.runtime.runs("demo"))
    a.clock.now += TIMES.ttl

    await a.runtime.on_call_event(offered("c-1"))
    await a.runtime.lease.round()

    assert a.offers() == [] and not a.runtime.runs("demo")
    # The caller it answered on hold is released: no node will ever take that call.
    assert a.port.sent[-1] == pbx.Hangup("c-1", 503, "Service Unavailable")


async def test_a_caller_who_hangs_up_while_held_back_is_never_offered(nodes: Nodes) -> None:
    a = await paused_holder(nodes)

    await a.runtime.on_call_event(offered("c-1"))
    await a.runtime.on_call_event(offered("c-2"))
    await a.runtime.on_call_event(pbx.CallHungUp("c-1", pbx.HangupSide.CALLER))
    await a.runtime.lease.round()

    # Stepped in the order they happened: c-1's offer (which the PBX refuses, its call being
    # gone) is withdrawn by its hang-up, and the agent gets c-2.
    assert a.offers()[-1] == "c-2"
    assert [c for c in a.port.sent if isinstance(c, pbx.StopRinging)][-1].call_id == "c-1"
    (helpdesk,) = [cc for cc in await a.runtime.call_centers("demo") if cc.id == "7001"]
    assert "c-1" not in {call.call_id for call in helpdesk.waiting_calls}


async def test_a_restarted_node_takes_its_own_lease_back_at_once_and_others_wait(
    nodes: Nodes,
) -> None:
    crashed = nodes("node-a")
    await crashed.runtime.start()
    crashed.runtime.lease.halt()  # killed: the lease stays in Redis until it expires

    other = nodes("node-b")
    await other.runtime.start()
    restarted = nodes("node-a")
    await restarted.runtime.start()

    assert restarted.runtime.runs("demo") and not other.runtime.runs("demo")


async def test_a_clean_stop_hands_the_tenant_over_without_waiting_for_the_lease(
    nodes: Nodes,
) -> None:
    a, b = nodes("node-a"), nodes("node-b")
    await a.runtime.start()
    await b.runtime.start()
    b.runtime.lease.halt()  # only the explicit round below may take it over
    await a.runtime.stop()
    await b.runtime.lease.round()
    assert b.runtime.runs("demo")


async def test_a_node_id_that_would_forge_another_nodes_lease_value_is_refused(
    redis: Redis, prefix: str
) -> None:
    for bad in ("", "node-a:7"):
        with pytest.raises(ValueError, match="node id"):
            LeaseStore(redis, prefix, bad, TIMES)


# Commands relayed from a standby node to the holder (cti/engine_command_relay.py) --------------


async def holder_and_standby(nodes: Nodes, **standby: float) -> tuple[Node, Node]:
    a, b = nodes("node-a"), nodes("node-b", **standby)
    await a.runtime.start()
    await b.runtime.start()
    assert a.runtime.runs("demo") and not b.runtime.runs("demo")
    return a, b


async def test_a_command_to_the_standby_node_takes_effect_on_the_holder(nodes: Nodes) -> None:
    a, b = await holder_and_standby(nodes)

    await available(b, "1002")
    assert await agent_state(a, "1002") is AgentState.AVAILABLE
    # A result comes back too: the holder's callback id, waiting in its queue.
    call_id = await b.runtime.control.book_callback("demo", "7001", "0201111111")
    [helpdesk] = [c for c in await a.runtime.call_centers("demo") if c.id == "7001"]
    assert [w.call_id for w in helpdesk.waiting_calls] == [call_id]


async def test_the_holders_refusal_reaches_the_standby_caller_unchanged(nodes: Nodes) -> None:
    a, b = await holder_and_standby(nodes)

    refusals = []
    for node in (a, b):
        with pytest.raises(ControlError) as refused:
            await node.runtime.control.promote_call("demo", "no-such-call", 5, by="super")
        refusals.append((refused.value.code, refused.value.message))
    assert refusals[0] == refusals[1]
    assert refusals[0][0] not in ("engine_unreachable", "bad_request")


def request(call_id: str, *, deadline: float, extension: str = "1001") -> dict[str, object]:
    return {
        "id": call_id, "tenant": "demo", "command": "SetAgentState", "deadline": deadline,
        "arguments": {"extension": extension, "state": "AVAILABLE", "unavailable_code": None,
                      "cause": "agent", "by": extension},
    }  # fmt: skip


async def test_a_request_past_its_deadline_is_never_carried_out(
    nodes: Nodes, redis: Redis, prefix: str
) -> None:
    a, b = await holder_and_standby(nodes)
    late = "0" * 32
    requests = redis_keys.engine_commands(prefix, "demo")
    await redis.rpush(requests, json.dumps(request(late, deadline=time.time() - 1)))

    await available(b, "1002")  # queued behind it, answered: the late one was seen first

    assert await agent_state(a, "1001") is not AgentState.AVAILABLE
    assert await agent_state(a, "1002") is AgentState.AVAILABLE
    for key in (redis_keys.engine_command_reply, redis_keys.engine_command_claim):
        assert not await redis.exists(key(prefix, "demo", late))


async def test_garbage_on_the_request_list_is_refused_and_the_holder_carries_on(
    nodes: Nodes, redis: Redis, prefix: str
) -> None:
    """Anything that can write to Redis can put anything on the list: each bad request is
    logged, answered when it has an id to answer, and the next good one is carried out."""
    a, b = await holder_and_standby(nodes)
    future = time.time() + 60
    answerable = {
        "1" * 32: {**request("1" * 32, deadline=future), "command": "DropAllCalls"},
        "2" * 32: {**request("2" * 32, deadline=future), "arguments": {"extension": 1001}},
        "3" * 32: {**request("3" * 32, deadline=future), "tenant": "other-tenant"},
        "4" * 32: {**request("4" * 32, deadline=future), "deadline": "soon"},
        "5" * 32: {
            **request("5" * 32, deadline=future),
            "command": "PromoteCall",
            "arguments": {"call_id": "c-1", "priority": True, "by": "x"},
        },
        "6" * 32: {**request("6" * 32, deadline=future), "arguments": "1001 AVAILABLE"},
        "7" * 32: request("7" * 32, deadline=future) | {"arguments": {
            "extension": "1001", "state": "ON_FIRE", "unavailable_code": None,
            "cause": "agent", "by": "1001"}},
    }  # fmt: skip
    garbage: list[str | bytes] = [
        "not json", "[1, 2]", "null", json.dumps({"id": "../../etc"}), "[" * 100_000,
        b"\xff\xfe{", *(json.dumps(r) for r in answerable.values()),
    ]  # fmt: skip
    requests = redis_keys.engine_commands(prefix, "demo")
    await redis.rpush(requests, *garbage)

    await available(b, "1002")

    assert await agent_state(a, "1002") is AgentState.AVAILABLE
    assert await agent_state(a, "1001") is not AgentState.AVAILABLE
    for request_id in answerable:
        reply = await redis.lpop(redis_keys.engine_command_reply(prefix, "demo", request_id))
        assert isinstance(reply, str), request_id
        assert json.loads(reply)["code"] == "bad_request"


async def test_a_holder_that_does_not_answer_is_engine_unreachable_and_never_runs_it_later(
    nodes: Nodes, redis: Redis, prefix: str
) -> None:
    # The lease is held by a node that is gone (its lease not yet expired): nobody takes it.
    await redis.set(redis_keys.engine_lease(prefix, "demo"), "ghost:1", px=60_000)
    b = nodes("node-b", wait=0.3)
    await b.runtime.start()

    with pytest.raises(ControlError) as refused:
        await available(b, "1001")

    assert refused.value.code == "engine_unreachable"
    assert "nothing was done" in refused.value.message
    # The request stays on the list for a holder to come, which will find it abandoned.
    [raw] = await redis.lrange(redis_keys.engine_commands(prefix, "demo"), 0, -1)
    request_id = json.loads(raw)["id"]
    claim = redis_keys.engine_command_claim(prefix, "demo", request_id)
    assert await redis.get(claim) == "abandoned"

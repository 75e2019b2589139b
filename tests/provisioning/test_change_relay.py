"""Provisioning changes across processes (cti/provisioning_relay.py): two services on one
database, each with its own relay on one Redis channel, stand for two product processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import redis
from sqlalchemy import Engine

from common.redis_keys import provisioning_changes_channel
from cti.provisioning_relay import PROVISIONING, ChangeRelay
from cti.token_revocation import revokes_sign_in
from cti.users import make_engine
from provisioning.change_notices import Notice, decode, encode
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from tests.cti.cti_redis_testkit import REDIS_URL, new_prefix
from tests.provisioning.api_world import ApiWorld
from tests.provisioning.conftest import TODAY, tenant_spec, test_hasher


@dataclass
class Node:
    service: ProvisioningService
    relay: ChangeRelay
    heard: list[Change]


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not heard in time")


@pytest.fixture
async def nodes(engine: Engine) -> AsyncIterator[tuple[Node, Node, str]]:
    prefix = new_prefix()
    made: list[Node] = []
    tasks: list[asyncio.Task[None]] = []
    for _ in range(2):
        service = ProvisioningService(engine, test_hasher, now=lambda: TODAY)
        heard: list[Change] = []
        service.subscribe(heard.append)
        relay = ChangeRelay(REDIS_URL, prefix)
        relay.attach(PROVISIONING, service.transactions)
        subscribed = asyncio.Event()
        tasks.append(asyncio.create_task(relay.run(service.tenant_ids, subscribed)))
        await asyncio.wait_for(subscribed.wait(), 10)
        made.append(Node(service, relay, heard))
    try:
        yield made[0], made[1], prefix
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for node in made:
            node.relay.close()


async def test_a_change_committed_in_one_process_reaches_the_others_listeners_once(
    nodes: tuple[Node, Node, str],
) -> None:
    a, b, _ = nodes
    await asyncio.to_thread(a.service.create_tenant, "op", tenant_spec("acme"))
    await _until(lambda: len(b.heard) == 1)
    assert b.heard == [Change("acme", "tenant", "acme", "create", b.heard[0].changed, True)]
    assert "sip_domain" in b.heard[0].changed
    await asyncio.sleep(0.2)  # an echo of its own notice would arrive by now
    assert [(c.entity, c.remote) for c in a.heard] == [("tenant", False)]
    assert len(b.heard) == 1


async def test_messages_that_are_no_notices_are_ignored_and_the_relay_goes_on(
    nodes: tuple[Node, Node, str],
) -> None:
    a, b, prefix = nodes
    client = redis.Redis.from_url(REDIS_URL)
    try:
        channel = provisioning_changes_channel(prefix)
        foreign = Notice("someone-else", "no-such-service", Change("acme", "user", "x", "delete"))
        for junk in ("not json", "[1]", '{"origin": "x"}', "x" * 10_000, encode(foreign)):
            client.publish(channel, junk)
    finally:
        client.close()
    await asyncio.to_thread(a.service.create_tenant, "op", tenant_spec("acme"))
    await _until(lambda: len(b.heard) == 1)  # only the real change, after the junk
    assert b.heard[0].entity == "tenant"


def test_notices_decode_only_what_encode_makes() -> None:
    change = Change("acme", "user", "jan", "update", frozenset({"name", "extension"}))
    assert decode(encode(Notice("o", "s", change))) == Notice("o", "s", change)
    for junk in ("", "null", '{"origin":"o","source":"s","tenant":1}', b"\xff\xfe"):
        assert decode(junk) is None
    text = encode(Notice("o", "s", change)).replace('"changed":', '"changed":[1],"x":')
    assert decode(text) is None


def test_a_change_delivered_from_another_process_does_not_end_sessions_again() -> None:
    deleted = Change("acme", "user", "jan", "delete")
    assert revokes_sign_in(deleted)
    assert not revokes_sign_in(Change("acme", "user", "jan", "delete", remote=True))


async def test_an_api_process_of_its_own_publishes_its_changes(world: ApiWorld) -> None:
    """The admin API without the product (cti/rest/provisioning_access.py) runs no live tables
    but tells the product processes: here a relay on its database and Redis prefix hears it."""
    settings = world.settings
    engine = make_engine(settings.database_url)
    service = ProvisioningService(engine, test_hasher)
    heard: list[Change] = []
    service.subscribe(heard.append)
    relay = ChangeRelay(settings.redis_url, settings.key_prefix)
    relay.attach(PROVISIONING, service.transactions)
    subscribed = asyncio.Event()
    task = asyncio.create_task(relay.run(lambda: [], subscribed))
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        block = {"first": "+31205558000", "size": 10}
        made = await asyncio.to_thread(
            world["admin"].post, "/api/v1/tenants/demo/number-blocks", json=block
        )
        assert made.status_code == 201, made.text
        await _until(lambda: bool(heard))
        assert [(c.tenant, c.entity, c.action, c.remote) for c in heard] == [
            ("demo", "number_block", "create", True)
        ]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        relay.close()
        engine.dispose()


async def test_after_each_subscription_every_tenant_is_reloaded(
    nodes: tuple[Node, Node, str], engine: Engine
) -> None:
    """What a process missed while it was not subscribed (a lost connection, the start-up's
    loads before the subscription) reaches its listeners as a `tenant` change per tenant."""
    a, _, prefix = nodes
    await asyncio.to_thread(a.service.create_tenant, "op", tenant_spec("acme"))
    late = ProvisioningService(engine, test_hasher, now=lambda: TODAY)
    heard: list[Change] = []
    late.subscribe(heard.append)
    relay = ChangeRelay(REDIS_URL, prefix)
    relay.attach(PROVISIONING, late.transactions)
    subscribed = asyncio.Event()
    task = asyncio.create_task(relay.run(late.tenant_ids, subscribed))
    try:
        await asyncio.wait_for(subscribed.wait(), 10)
        await _until(lambda: bool(heard))
        assert heard == [Change("acme", "tenant", "acme", "update", remote=True)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        relay.close()

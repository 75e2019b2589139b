"""Provisioning changes across processes (docs/provisioning.md, "Changes across processes").

A change is committed by one process (an API node, the product, a CLI) but every running
product process keeps tables built from provisioning: the engine's call-center config and the
PBX's directory (`LiveEngineConfig`), the forwarding table (`LiveUserServices`), the groups,
rooms, trunks. In-process they hear the change from the service's listeners after the commit;
`ChangeRelay` carries it to the others: each change committed here is published on one Redis
pub/sub channel (`common.redis_keys.provisioning_changes_channel`) after the commit, and
`run()` hands each notice of another process to the same listeners here (`Transactions.deliver`).

Pub/sub forgets what a process was not subscribed to hear: after each subscription (at start,
and after one was lost) every tenant is reloaded (a `tenant` change per tenant), as if all of
it changed; the live tables skip what did not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from functools import partial

from redis.exceptions import RedisError

from common.redis_connect import async_client, sync_client
from common.redis_keys import provisioning_changes_channel
from provisioning.change_notices import Notice, decode, encode
from provisioning.service import ProvisioningService
from provisioning.unit import Change, Transactions
from provisioning.user_services_store import UserServicesService

log = logging.getLogger(__name__)

PROVISIONING = "provisioning"
"""The source name of `ProvisioningService`'s changes (tenants, users, numbers, call centers,
schedules, groups, rooms, trunks: every service built on its `transactions`)."""
USER_SERVICES = "user_services"
"""`UserServicesService`'s (forwarding, do-not-disturb)."""
_RETRY_SECONDS = 1.0


class ChangeRelay:
    def __init__(self, redis_url: str, prefix: str) -> None:
        self._url = redis_url
        self._channel = provisioning_changes_channel(prefix)
        self.origin = uuid.uuid4().hex
        """Signs this process's notices: its own changes reached its listeners already."""
        # Publishing happens in the thread that committed (a REST worker, a CLI): sync client.
        self._publisher = sync_client(redis_url)
        self._sources: dict[str, Transactions] = {}

    def close(self) -> None:
        self._publisher.close()

    def attach(self, source: str, transactions: Transactions) -> None:
        """Publish the changes committed through `transactions`, and deliver other processes'
        changes of `source` to its listeners."""
        self._sources[source] = transactions
        transactions.publish_to(partial(self._publish, source))

    def _publish(self, source: str, change: Change) -> None:
        notice = encode(Notice(self.origin, source, change))
        try:
            self._publisher.publish(self._channel, notice)
        except RedisError:  # committed all the same; the others catch up when they resync
            log.warning("provisioning change notice not published: %s", change, exc_info=True)

    async def run(
        self, tenants: Callable[[], list[str]], subscribed: asyncio.Event | None = None
    ) -> None:
        """Deliver other processes' changes until cancelled. `tenants`: every tenant id
        (blocking, SQL), reloaded after each subscription: a change committed before it (the
        start-up's loads may predate one; a lost subscription missed some) reached nothing
        here. `subscribed` is set once the first subscription stands."""
        client = async_client(self._url, decode_responses=True, socket_timeout=None)
        try:
            while True:
                try:
                    async with client.pubsub() as pubsub:
                        await pubsub.subscribe(self._channel)
                        if subscribed is not None:
                            subscribed.set()
                        await self._resync(tenants)
                        async for message in pubsub.listen():
                            if message["type"] == "message":
                                await self._deliver(message["data"])
                except RedisError:
                    log.warning("provisioning change notices lost; resubscribing", exc_info=True)
                    await asyncio.sleep(_RETRY_SECONDS)
        finally:
            await client.aclose()

    async def _deliver(self, raw: str) -> None:
        notice = decode(raw)
        if notice is None:
            log.warning("ignored a message on %s that is no change notice", self._channel)
            return
        if notice.origin == self.origin:
            return
        transactions = self._sources.get(notice.source)
        if transactions is None:
            return  # a service this process does not run
        # Listeners read SQL and may block: off the loop, as a committing thread would run them.
        await asyncio.to_thread(transactions.deliver, notice.change)

    async def _resync(self, tenants: Callable[[], list[str]]) -> None:
        transactions = self._sources.get(PROVISIONING)
        if transactions is None:
            return
        try:
            every = await asyncio.to_thread(tenants)
        except Exception:  # the database is away: the notices still flow; reload what comes
            log.exception("provisioning resync: the tenants could not be read")
            return
        for tenant in every:
            change = Change(tenant, "tenant", tenant, "update")
            await asyncio.to_thread(transactions.deliver, change)


async def relay_changes(
    redis_url: str,
    prefix: str,
    provisioning: ProvisioningService,
    user_services: UserServicesService,
) -> Callable[[], Awaitable[None]]:
    """The product's relay, subscribed before this returns; the coroutine function it returns
    stops it."""
    relay = ChangeRelay(redis_url, prefix)
    relay.attach(PROVISIONING, provisioning.transactions)
    relay.attach(USER_SERVICES, user_services.transactions)
    subscribed = asyncio.Event()
    task = asyncio.create_task(
        relay.run(provisioning.tenant_ids, subscribed), name="provisioning-relay"
    )
    waiter = asyncio.create_task(subscribed.wait())
    await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        relay.close()
        task.result()  # raises what stopped it

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        relay.close()

    return stop


def publish_changes(
    redis_url: str, prefix: str, source: str, transactions: Transactions, owner: object
) -> None:
    """For a web process of its own (an API node without the PBX and engine): no live tables
    to refresh here, but its changes must reach the product processes. Closes with `owner`."""
    relay = ChangeRelay(redis_url, prefix)
    relay.attach(source, transactions)
    weakref.finalize(owner, relay.close)

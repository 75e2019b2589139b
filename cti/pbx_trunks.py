"""The PBX's outside world from provisioning: the direct numbers, calling plans and carrier trunks
of the tenants it serves, as one `TrunkRouting` swapped in whole whenever one of them changes
(contract.md, Provisioning: changes take effect live)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Sequence
from typing import Protocol

from common.number_categories import Category
from cti.trunks_demo import seed_demo_trunk
from pbx_core.trunks.calling_plan import OutgoingPlan
from pbx_core.trunks.fraud_guard import VelocityLimits, velocity_limits
from pbx_core.trunks.incoming_plan import IncomingPlan
from pbx_core.trunks.routing import Carrier, DirectNumber, TrunkRouting
from provisioning.intercept_user import ENTITY as USER_INTERCEPT
from provisioning.intercept_user import UserIntercepts
from provisioning.service import ProvisioningService
from provisioning.trunks_calling_plans import ENTITY as CALLING_PLAN
from provisioning.trunks_calling_plans import CallingPlans
from provisioning.trunks_incoming import (
    INTERCEPT_ENTITY,
    PLAN_ENTITY,
    IncomingPlans,
    IncomingPlanView,
)
from provisioning.trunks_store import ENTITY as TRUNK
from provisioning.trunks_store import PLATFORM, CarrierTrunk, Trunks
from provisioning.unit import Change

log = logging.getLogger(__name__)

DEMO_CARRIER = ("127.0.0.1", 5090)
"""The demo's carrier trunk (contract.md, "Outside world (demo)"), unless `OPENCC_CARRIER`."""
ROUTING_ENTITIES = frozenset(
    {"tenant", "number_block", "number", "user", "call_center", CALLING_PLAN, TRUNK}
    | {PLAN_ENTITY, INTERCEPT_ENTITY, USER_INTERCEPT}
)
"""Changes that can move a direct number, a caller ID or a plan (a user's extension too)."""


def carrier_address(text: str | None) -> tuple[str, int]:
    """`host:port` (an environment setting) as an address; unset: the demo's carrier."""
    if not text:
        return DEMO_CARRIER
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"OPENCC_CARRIER={text!r}: give host:port, e.g. 127.0.0.1:5090")
    return host, int(port)


class TrunksTarget(Protocol):
    """The PBX as this module sees it (`PbxService.update_trunks`)."""

    async def update_trunks(self, trunks: TrunkRouting) -> None: ...


def provisioned_trunks(service: ProvisioningService, tenants: Sequence[str]) -> TrunkRouting:
    """Blocking (SQL): call it off the event loop."""
    numbers = [
        DirectNumber(view.number, tenant, view.destination)
        for tenant in tenants
        for view in service.numbers(tenant)
    ]
    calling_plans = CallingPlans(service.transactions)
    plans: dict[str, OutgoingPlan] = {}
    user_plans: dict[tuple[str, str], OutgoingPlan] = {}
    hidden: list[tuple[str, str]] = []
    capacity: dict[str, int] = {}
    rejecting: list[tuple[str, str]] = []
    velocity: dict[str, VelocityLimits] = {}
    for tenant in tenants:
        stored = calling_plans.stored_plans(tenant)
        plans[tenant] = OutgoingPlan(stored.tenant_denied, stored.tenant_pin)
        for extension, denied in stored.users_denied.items():
            user_plans[(tenant, extension)] = OutgoingPlan(denied, stored.users_pin[extension])
        hidden += [(tenant, extension) for extension in stored.hidden]
        rejecting += [(tenant, extension) for extension in stored.rejecting_anonymous]
        if stored.max_external_calls is not None:
            capacity[tenant] = stored.max_external_calls
        if stored.toll_fraud is not None:
            velocity[tenant] = velocity_limits(**stored.toll_fraud)
    incoming = IncomingPlans(service.transactions)
    incoming_plans: dict[str, IncomingPlan] = {}
    user_incoming: dict[tuple[str, str], IncomingPlan] = {}
    intercepted: list[str] = []
    user_intercepts = UserIntercepts(service.transactions)
    intercepted_users: list[tuple[str, str]] = []
    for tenant in tenants:
        intercepted_users += [(tenant, e) for e in user_intercepts.intercepted(tenant)]
        found = incoming.stored(tenant)
        if found.tenant is not None:
            incoming_plans[tenant] = _incoming(found.tenant)
        for extension, plan in found.users.items():
            user_incoming[(tenant, extension)] = _incoming(plan)
        if found.intercepted:
            intercepted.append(tenant)
    trunks = Trunks(service.transactions)
    own: dict[str, tuple[Carrier, ...]] = {}
    platform: tuple[Carrier, ...] = ()
    inbound: set[str] = set()
    for tenant in tenants:
        configured = trunks.carrier_trunks(tenant)
        own[tenant] = tuple(_carrier(t) for t in configured if not t.platform)
        platform = tuple(_carrier(t) for t in configured if t.platform)
        inbound |= {t.host for t in configured if t.inbound}
    return TrunkRouting.of(
        None, numbers, plans, user_plans, hidden,
        tenant_carriers=own, inbound_addresses=inbound, platform_carriers=platform,
        capacity=capacity, rejecting_anonymous=rejecting, incoming_plans=incoming_plans,
        user_incoming_plans=user_incoming, intercepted=intercepted, tenant_velocity=velocity,
        intercepted_users=intercepted_users,
    )  # fmt: skip


def _incoming(plan: IncomingPlanView) -> IncomingPlan:
    return IncomingPlan(
        plan.internal, plan.external, frozenset(Category(c) for c in plan.denied or ())
    )


def _carrier(trunk: CarrierTrunk) -> Carrier:
    addresses = trunk_addresses(trunk.host) if trunk.register_expires is not None else ()
    return Carrier(
        trunk.host, trunk.port, trunk.username, trunk.password, trunk.register_expires,
        str(trunk.id), addresses, trunk.transport,
    )  # fmt: skip


def trunk_addresses(host: str) -> tuple[str, ...]:
    """A registering trunk's host name as the addresses its carrier's calls come from (resolved
    at each reload; an IP address is itself). Unresolvable: none (the name itself never equals a
    request's source address, so no call is taken for it)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return (host,)
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
    except OSError:
        log.warning("trunk host %s does not resolve: its calls to the account are not taken", host)
        return ()
    return tuple(sorted({str(info[4][0]) for info in found}))


async def start_live_trunks(
    service: ProvisioningService,
    pbx: TrunksTarget,
    tenants: Sequence[str] | None,
    demo_carrier: tuple[str, int] | None,
    loop: asyncio.AbstractEventLoop,
) -> LiveTrunks:
    """The product's outside world: the demo's carrier (if any) as the platform's trunk when the
    platform has none, then the routing loaded and kept live."""
    if demo_carrier is not None:
        await asyncio.to_thread(seed_demo_trunk, service, demo_carrier)
    live = LiveTrunks(service, pbx, tenants, loop)
    await live.load()
    return live


class LiveTrunks:
    """Provisioning's change listener: rebuilds the routing off the loop, newest last."""

    def __init__(
        self,
        service: ProvisioningService,
        pbx: TrunksTarget,
        tenants: Sequence[str] | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """`tenants`: whose numbers and plans; None: every tenant's, as provisioning has them at
        each reload (a tenant made later counts too)."""
        self._service = service
        self._pbx = pbx
        self._tenants = tuple(tenants) if tenants is not None else None
        self._loop = loop
        self._stale = False
        self._worker: asyncio.Task[None] | None = None
        service.subscribe(self.on_change)

    async def load(self) -> None:
        tenants = self._tenants
        if tenants is None:
            tenants = tuple(await asyncio.to_thread(self._service.tenant_ids))
        routing = await asyncio.to_thread(provisioned_trunks, self._service, tenants)
        await self._pbx.update_trunks(routing)

    def on_change(self, change: Change) -> None:
        """Any thread (the one that committed the change)."""
        platform_trunk = change.entity == TRUNK and change.tenant == PLATFORM
        ours = self._tenants is None or change.tenant in self._tenants
        if platform_trunk or (ours and change.entity in ROUTING_ENTITIES):
            self._loop.call_soon_threadsafe(self._want)

    def _want(self) -> None:
        self._stale = True
        if self._worker is None or self._worker.done():
            self._worker = self._loop.create_task(self._reload(), name="pbx-trunks")

    async def _reload(self) -> None:
        while self._stale:
            self._stale = False
            try:
                await self.load()
            except Exception:  # keep the routing in force; the next change tries again
                log.exception("direct numbers not reloaded")

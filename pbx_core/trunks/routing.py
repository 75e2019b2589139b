"""Where calls to and from the outside world go (pure): direct numbers in, the carrier out.

`TrunkRouting` is a snapshot the PBX's owner builds from provisioning and swaps in whole when it
changes (`PbxService.update_trunks`), like the directory: the SIP thread only reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from common.number_categories import Category
from pbx_core.trunks.calling_plan import DEFAULT_PLAN, OutgoingPlan
from pbx_core.trunks.fraud_guard import DEFAULT_LIMITS, VelocityLimits
from pbx_core.trunks.incoming_plan import ACCEPT_ALL, INTERCEPTED_PLAN, REFUSED_CODE, IncomingPlan
from pbx_core.trunks.numbering import outside_number, to_e164

STREAM_TRANSPORTS = frozenset({"tcp", "tls"})
"""A trunk's transports that reach the carrier through a connector (`sip/carrier_transport.py`)."""

HIDE_ONCE = "*67"
"""Feature access code: hide the caller's number for this call (contract.md)."""


@dataclass(frozen=True, slots=True)
class DirectNumber:
    number: str
    """E.164."""
    tenant: str
    destination: str
    """An extension or a call-center number of `tenant`."""


@dataclass(frozen=True, slots=True)
class Carrier:
    """A carrier trunk's address and the digest credentials its challenges get."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    register_expires: int | None = None
    """Seconds of registration to ask the carrier for (`carrier_registration`); None: none."""
    key: str = ""
    """Names the trunk in registration states (provisioning's trunk id); "" for a bare address."""
    addresses: tuple[str, ...] = ()
    """The IP addresses `host` named when the routing was built (a host name's); () : `host`."""
    transport: str = "udp"
    """`udp`, or `tcp`/`tls` through a connector."""
    relay: tuple[str, int] | None = None
    """A TCP/TLS trunk: its connector's UDP address, where sippy sends (set by the PBX)."""

    @property
    def sources(self) -> tuple[str, ...]:
        """Where the carrier's requests come from: the trunk's addresses."""
        return self.addresses or (self.host,)

    @property
    def next_hop(self) -> tuple[str, int]:
        """Where sippy sends this trunk's requests."""
        return self.relay or (self.host, self.port)

    def request_uri(self, user: str) -> str:
        """The Request-URI of a call to `user` at this carrier when sippy's own (`user@next
        hop`) would be wrong: over TCP/TLS the next hop is the connector. "" for UDP."""
        if self.transport not in STREAM_TRANSPORTS:
            return ""
        return f"sip:{user}@{self.host}:{self.port};transport={self.transport}"


@dataclass(frozen=True, slots=True)
class CarrierCall:
    """Send this call to the carrier: the first of `route`, the next when one fails (503)."""

    route: tuple[Carrier, ...]
    request_user: str
    """The called number in E.164 (or the emergency short code)."""
    category: Category
    caller_id: str
    """The caller's number in E.164 (From, P-Asserted-Identity); "" when the tenant has none."""
    hidden: bool
    """Privacy: id (RFC 3323): From is anonymous, the carrier keeps the PAI to itself."""
    pin: bool = False
    """The caller's plan lets this category out only after its PIN (`sip/calls/call_pin.py`)."""


@dataclass(frozen=True, slots=True)
class Refused:
    code: int
    reason: str
    category: Category | None


@dataclass(frozen=True, slots=True)
class TrunkRouting:
    carriers: tuple[Carrier, ...] = ()
    """The platform's trunks by priority: every tenant's calls try them after its own."""
    tenant_carriers: Mapping[str, tuple[Carrier, ...]] = field(default_factory=dict)
    """A tenant's own trunks by priority."""
    inbound_addresses: frozenset[str] = frozenset()
    """Source addresses whose requests are the carrier's (inbound trunks)."""
    direct_numbers: Mapping[str, DirectNumber] = field(default_factory=dict)
    plans: Mapping[str, OutgoingPlan] = field(default_factory=dict)
    """Per tenant; a tenant without one has `DEFAULT_PLAN`."""
    user_plans: Mapping[tuple[str, str], OutgoingPlan] = field(default_factory=dict)
    """(tenant, extension) -> the user's own plan, in place of its tenant's."""
    hidden: frozenset[tuple[str, str]] = frozenset()
    """(tenant, extension) whose number is hidden on every call (permanent CLIR)."""
    capacity: Mapping[str, int] = field(default_factory=dict)
    """Tenant -> calls to the carrier it may have up at once (absent: no limit)."""
    velocity: VelocityLimits = DEFAULT_LIMITS
    """The toll-fraud guard's limits: the platform's, for every tenant without its own."""
    rejecting_anonymous: frozenset[tuple[str, str]] = frozenset()
    """(tenant, extension) refusing calls from outside without a number (433)."""
    caller_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(tenant, extension) -> its own direct number, the lowest when it has several."""
    main_numbers: Mapping[str, str] = field(default_factory=dict)
    """Tenant -> its main number: the lowest direct number it has."""
    accounts: frozenset[tuple[str, str]] = frozenset()
    """(source address, account) of every registering trunk (`registered_account`), made once
    here: it is looked at for every INVITE that comes without credentials."""
    incoming_plans: Mapping[str, IncomingPlan] = field(default_factory=dict)
    """Tenant -> its incoming calling plan (absent: every call is taken)."""
    user_incoming_plans: Mapping[tuple[str, str], IncomingPlan] = field(default_factory=dict)
    """(tenant, extension) -> the user's own incoming plan, in place of its tenant's."""
    intercepted: frozenset[str] = frozenset()
    """Tenants whose calls from outside hear the intercept message (`INTERCEPT_ROUTE`) and who
    call nobody outside but 112."""
    tenant_velocity: Mapping[str, VelocityLimits] = field(default_factory=dict)
    """Tenant -> its own toll-fraud limits (provisioning's calling plan)."""
    intercepted_users: frozenset[tuple[str, str]] = frozenset()
    """(tenant, extension) of users under InterceptUser: every call to them hears the intercept
    message (`INTERCEPT_USER_ROUTE`), and they call nobody outside but 112."""

    @classmethod
    def of(
        cls,
        carrier: tuple[str, int] | None,
        numbers: Iterable[DirectNumber] = (),
        plans: Mapping[str, OutgoingPlan] | None = None,
        user_plans: Mapping[tuple[str, str], OutgoingPlan] | None = None,
        hidden: Iterable[tuple[str, str]] = (),
        tenant_carriers: Mapping[str, tuple[Carrier, ...]] | None = None,
        inbound_addresses: Iterable[str] = (),
        platform_carriers: tuple[Carrier, ...] = (),
        capacity: Mapping[str, int] | None = None,
        velocity: VelocityLimits = DEFAULT_LIMITS,
        rejecting_anonymous: Iterable[tuple[str, str]] = (),
        incoming_plans: Mapping[str, IncomingPlan] | None = None,
        user_incoming_plans: Mapping[tuple[str, str], IncomingPlan] | None = None,
        intercepted: Iterable[str] = (),
        tenant_velocity: Mapping[str, VelocityLimits] | None = None,
        intercepted_users: Iterable[tuple[str, str]] = (),
    ) -> TrunkRouting:
        """`carrier`: one platform trunk by address (before `platform_carriers`)."""
        direct = {n.number: n for n in sorted(numbers, key=lambda n: n.number)}
        caller_ids: dict[tuple[str, str], str] = {}
        main_numbers: dict[str, str] = {}
        for number in direct.values():  # sorted: the first seen is the lowest
            caller_ids.setdefault((number.tenant, number.destination), number.number)
            main_numbers.setdefault(number.tenant, number.number)
        carriers = ((Carrier(*carrier),) if carrier else ()) + platform_carriers
        own = dict(tenant_carriers or {})
        accounts = frozenset(
            (source, c.username)
            for c in (*carriers, *(c for cs in own.values() for c in cs))
            if c.register_expires is not None and c.username
            for source in c.sources
        )
        return cls(
            carriers,
            own,
            frozenset(inbound_addresses),
            direct,
            dict(plans or {}),
            dict(user_plans or {}),
            frozenset(hidden),
            dict(capacity or {}),
            velocity,
            frozenset(rejecting_anonymous),
            caller_ids,
            main_numbers,
            accounts,
            dict(incoming_plans or {}),
            dict(user_incoming_plans or {}),
            frozenset(intercepted),
            dict(tenant_velocity or {}),
            frozenset(intercepted_users),
        )

    def velocity_of(self, tenant: str) -> VelocityLimits:
        """The toll-fraud guard's limits for `tenant`'s calls."""
        return self.tenant_velocity.get(tenant, self.velocity)

    @property
    def reaches_outside(self) -> bool:
        return bool(self.carriers or self.tenant_carriers)

    @property
    def registering(self) -> tuple[Carrier, ...]:
        """Every trunk that registers to its carrier, once each (platform ones are in every
        tenant's list of the store, not here: `carriers`)."""
        found: dict[str, Carrier] = {}
        for carrier in (*self.carriers, *(c for cs in self.tenant_carriers.values() for c in cs)):
            if carrier.register_expires is not None:
                found.setdefault(carrier.key, carrier)
        return tuple(found.values())

    def with_relays(self, relays: Mapping[tuple[str, str, int], tuple[str, int]]) -> TrunkRouting:
        """Each TCP/TLS carrier with the relay of its connector, keyed (transport, host, port)."""

        def relayed(carriers: tuple[Carrier, ...]) -> tuple[Carrier, ...]:
            return tuple(
                replace(c, relay=relays.get((c.transport, c.host, c.port))) for c in carriers
            )

        return replace(
            self,
            carriers=relayed(self.carriers),
            tenant_carriers={t: relayed(cs) for t, cs in self.tenant_carriers.items()},
        )

    def registered_account(self, source_host: str, called: str) -> bool:
        """A request from a registering trunk's address to the account it registered (its
        Contact user): the carrier addresses its calls to the registration, the number is in
        To (docs/trunks.md, "Calls to the registered account")."""
        return (source_host, called) in self.accounts

    def inbound(self, called: str) -> DirectNumber | None:
        """The direct number a request from a trunk is addressed to, in any written form
        (`+31201230001`, `0201230001`, `0031201230001`); None: nobody's."""
        e164 = to_e164(called)
        return None if e164 is None else self.direct_numbers.get(e164)

    def caller_id(self, tenant: str, extension: str) -> str:
        return self.caller_ids.get((tenant, extension)) or self.main_numbers.get(tenant, "")

    def outbound(self, tenant: str, extension: str, dialled: str) -> CarrierCall | Refused:
        """What happens when `extension` of `tenant` dials `dialled` (not an extension)."""
        user = (tenant, extension)
        plan = self.user_plans.get(user) or self.plans.get(tenant, DEFAULT_PLAN)
        if tenant in self.intercepted or user in self.intercepted_users:
            plan = INTERCEPTED_PLAN
        route = self.tenant_carriers.get(tenant, ()) + self.carriers
        caller_id = self.caller_id(tenant, extension)
        return self._decide(plan, caller_id, dialled, user in self.hidden, route)

    def incoming(self, tenant: str, extension: str | None, caller: str | None) -> Refused | None:
        """A call to `extension` of `tenant` (None: its call center or group) from `caller`, an
        outside number as the carrier wrote it (None: a user of the tenant): refused or taken.
        The user's own plan replaces its tenant's, as for the outgoing plan."""
        plan = self.user_incoming_plans.get((tenant, extension or "")) or self.incoming_plans.get(
            tenant, ACCEPT_ALL
        )
        number = outside_number(caller) if caller is not None else None
        category = number.category if number is not None else None
        reason = plan.refusal(caller is None, category)
        return None if reason is None else Refused(REFUSED_CODE, reason, category)

    def forwarded(self, original_caller: str, dialled: str) -> CarrierCall | Refused:
        """A call from outside sent out again (forwarding, transfer): the default plan, and the
        original caller's number (E.164, or "") as caller ID."""
        return self._decide(DEFAULT_PLAN, original_caller, dialled, False, self.carriers)

    @staticmethod
    def _decide(
        plan: OutgoingPlan,
        caller_id: str,
        dialled: str,
        hide_always: bool,
        route: tuple[Carrier, ...],
    ) -> CarrierCall | Refused:
        hide = hide_always or dialled.startswith(HIDE_ONCE)
        number = outside_number(dialled.removeprefix(HIDE_ONCE))
        if number is None:
            return Refused(484, "Address Incomplete", None)
        category = number.category
        if not route:
            return Refused(404, "Not Found", category)
        if category is Category.EMERGENCY:
            # Always, and always with the caller's real number (the emergency room calls back).
            return CarrierCall(route, number.e164, category, caller_id, hidden=False)
        if not plan.allows(category):
            return Refused(403, "Forbidden", category)
        if not caller_id:
            return Refused(403, "No Number To Call From", category)
        pin = plan.needs_pin(category)
        return CarrierCall(route, number.e164, category, caller_id, hidden=hide, pin=pin)


NO_TRUNKS = TrunkRouting()
"""No carrier, no direct numbers: calls stay inside (a PBX without an outside world)."""

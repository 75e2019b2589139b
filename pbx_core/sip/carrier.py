"""Legs to the carrier: who the call is from (caller ID, privacy) and the headers that say it.

The decision (number, category, calling plan, caller ID) is `TrunkRouting.outbound`'s; this module
turns it into what sippy sends: Request-URI `sip:<E.164>@carrier`, From `<E.164>` (or anonymous),
P-Asserted-Identity (RFC 3325) and `Privacy: id` (RFC 3323) when the number is hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common.number_categories import Category
from pbx_core import call_control as cc
from pbx_core.directory import SipUser
from pbx_core.location import Binding
from pbx_core.sip.cased_header import cased_header
from pbx_core.trunks.alerts import AlertKind, TenantAlert
from pbx_core.trunks.fraud_guard import VelocityGuard
from pbx_core.trunks.numbering import to_e164
from pbx_core.trunks.routing import Carrier, CarrierCall, Refused, TrunkRouting

log = logging.getLogger(__name__)

ANONYMOUS = ("anonymous", "Anonymous")
"""From user and display name of a hidden caller (RFC 3323 section 4.1.1.3)."""


@dataclass(frozen=True, slots=True)
class CarrierInvite:
    """What the INVITE to the carrier carries."""

    placed: CarrierCall
    from_user: str
    from_name: str
    headers: tuple[Any, ...]
    tenant: str | None = None
    """Whose call capacity the leg counts against (None: a call from outside sent on)."""
    extension: str = ""
    """The calling user's extension (the toll-fraud guard counts per user)."""


def carrier_invite(
    placed: CarrierCall,
    caller_name: str,
    our_host: str,
    tenant: str | None = None,
    extension: str = "",
) -> CarrierInvite:
    identity = f"<sip:{placed.caller_id}@{our_host}>"
    headers = [cased_header("P-Asserted-Identity", identity)] if placed.caller_id else []
    if placed.hidden:
        headers.append(cased_header("Privacy", "id"))
        user, name = ANONYMOUS
    else:
        user, name = placed.caller_id or ANONYMOUS[0], caller_name
    return CarrierInvite(placed, user, name, tuple(headers), tenant, extension)


FAILOVER_CODES = frozenset({408, 500, 503})
SILENT_CARRIER_SECONDS = 4.0
"""A trunk that has not answered an INVITE at all (not even 100 Trying) within this is taken for
down when a later trunk is on the route: its INVITE is cancelled and the next is tried, instead
of waiting out SIP's 32 s transaction timeout (RFC 3261 17.1.1.2)."""
"""A carrier that times out or is out of service: the next trunk may take the call. Any other
answer (busy, not found, forbidden) is the called party's and ends the attempt."""


@dataclass(eq=False)
class CarrierLeg:
    """A leg's way along its trunk route (priority order)."""

    invite: CarrierInvite
    tried: int = 1

    @property
    def has_next(self) -> bool:
        return self.tried < len(self.invite.placed.route)

    def next_trunk(self, code: int) -> Carrier | None:
        route = self.invite.placed.route
        if code not in FAILOVER_CODES or self.tried >= len(route):
            return None
        trunk = route[self.tried]
        self.tried += 1
        log.warning("trunk %s:%d answered %d: trying %s:%d", route[self.tried - 2].host,
                    route[self.tried - 2].port, code, trunk.host, trunk.port)  # fmt: skip
        return trunk


@dataclass(frozen=True, slots=True)
class CarrierRefusal:
    failure: cc.OfferFailure
    code: int
    alert: TenantAlert
    """For the tenant's admins."""


class CarrierLegs:
    """The legs to the carrier in progress (SIP thread): what call capacity and the toll-fraud
    guard count, and where each leg is on its trunk route."""

    def __init__(self) -> None:
        self._legs: dict[str, CarrierLeg] = {}
        self._velocity = VelocityGuard()

    def at_capacity(
        self, tenant: str, routing: TrunkRouting, inbound: Callable[[], int], what: str
    ) -> TenantAlert | None:
        """`tenant` has its call capacity's calls with the carrier up: legs to it (ringing or
        talking) and `inbound()` calls from it (counted only when the tenant has a limit). The
        alert says so, about `what` was refused; None: room for one more."""
        limit = routing.capacity.get(tenant)
        if limit is None:
            return None
        up = sum(1 for leg in self._legs.values() if leg.invite.tenant == tenant) + inbound()
        if up < limit:
            return None
        log.warning("tenant %s has %d calls with the carrier up (its limit): %s refused, 486",
                    tenant, up, what)  # fmt: skip
        text = f"{what} refused (486): {up} calls with the carrier up, the limit is {limit}"
        return TenantAlert(tenant, AlertKind.CALL_CAPACITY, text)

    def refusal(
        self, invite: CarrierInvite, routing: TrunkRouting, now: float, inbound: Callable[[], int]
    ) -> CarrierRefusal | None:
        """Why this leg may not start (486 over the tenant's call capacity, 403 from the
        toll-fraud guard), or None. Emergency calls and calls sent on from outside pass."""
        tenant = invite.tenant
        if tenant is None or invite.placed.category is Category.EMERGENCY:
            return None
        number = invite.placed.request_user
        what = f"call from {invite.extension} to {number}"
        alert = self.at_capacity(tenant, routing, inbound, what)
        if alert is not None:
            return CarrierRefusal(cc.OfferFailure.BUSY, 486, alert)
        category = invite.placed.category
        limits = routing.velocity_of(tenant)
        why = self._velocity.admit(tenant, invite.extension, category, now, limits)
        if why is not None:
            log.warning("toll-fraud guard: call from %s/%s to %s refused: %s",
                        tenant, invite.extension, number, why)  # fmt: skip
            text = f"toll-fraud guard: {what} ({category}) blocked (403): {why}"
            alert = TenantAlert(tenant, AlertKind.TOLL_FRAUD, text)
            return CarrierRefusal(cc.OfferFailure.REJECTED, 403, alert)
        return None

    def start(self, leg_id: str, invite: CarrierInvite) -> None:
        self._legs[leg_id] = CarrierLeg(invite)

    def end(self, leg_id: str) -> None:
        self._legs.pop(leg_id, None)

    def may_fail_over(self, leg_id: str) -> bool:
        """Whether a later trunk is left on this leg's route (a silent carrier is left then)."""
        leg = self._legs.get(leg_id)
        return leg is not None and leg.has_next

    def next_trunk(self, leg_id: str, code: int) -> tuple[CarrierInvite, Carrier] | None:
        """A carrier leg that failed with `code`: the next trunk to try, if any."""
        leg = self._legs.get(leg_id)
        trunk = leg.next_trunk(code) if leg is not None else None
        return None if leg is None or trunk is None else (leg.invite, trunk)


def trunk_binding(invite: CarrierInvite, dialled: str, trunk: Carrier, tenant: str) -> Binding:
    """Where sippy sends the leg of `tenant`'s call: the trunk's next hop, number@trunk (the
    Request-URI said outright for a TCP/TLS trunk, whose next hop is its connector)."""
    host, port = trunk.next_hop
    uri = trunk.request_uri(invite.placed.request_user)
    return Binding(dialled, uri, host, port, 0, tenant)


def place(
    routing: TrunkRouting,
    user: SipUser | None,
    caller: str,
    dialled: str,
    caller_name: str,
    our_host: str,
) -> CarrierInvite | Refused:
    """A leg of `caller`'s call to outside number `dialled`.

    `user`: `caller` as one of our extensions, looked up in the call's tenant (that tenant's
    plan and numbers apply), or None for a call from outside that is forwarded or transferred
    out: then the default plan applies and the carrier is shown that caller's own number, as
    forwarding does."""
    if user is not None:
        decision = routing.outbound(user.tenant, user.extension, dialled)
    else:
        decision = routing.forwarded(to_e164(caller) or "", dialled)
    if isinstance(decision, Refused):
        log.info(
            "outbound call from %s to %r refused: %d %s (%s)",
            caller, dialled, decision.code, decision.reason, decision.category,
        )  # fmt: skip
        return decision
    if user is None:
        return carrier_invite(decision, caller_name, our_host)
    return carrier_invite(decision, caller_name, our_host, user.tenant, user.extension)

"""Registering trunks to their carriers (issue 15.1): REGISTER with digest authentication,
refreshed before it expires, backed off when it fails; the decisions are
`pbx_core/trunks/registration.py`'s, this module only speaks SIP. Runs in the SIP thread.

A carrier that registers us sends its calls to the Contact we register (`sip:<user>@<our
address>`), which reaches the PBX like any trunk call; the Request-URI's user is then the trunk
account, so direct numbers come from the To header (docs/trunks.md, "Registering to a carrier").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sippy.SipAddress import SipAddress
from sippy.SipCallId import SipCallId
from sippy.SipContact import SipContact
from sippy.SipExpires import SipExpires
from sippy.SipFrom import SipFrom
from sippy.SipHeader import SipHeader
from sippy.SipRequest import SipRequest
from sippy.SipTo import SipTo
from sippy.SipURL import SipURL
from sippy.Time.Timeout import Timeout

from pbx_core.trunks.registration import (
    Registration,
    RegistrationPolicy,
    RegistrationState,
    failed,
    granted_seconds,
    new_registration,
    succeeded,
)
from pbx_core.trunks.routing import Carrier

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
"""How often due registrations are looked for (the granularity of refresh and back-off)."""
MAX_REGISTER_EXPIRES = 86_400
CHALLENGES = (("www-authenticate", "authorization"), ("proxy-authenticate", "proxy-authorization"))


@dataclass(frozen=True, slots=True)
class RegistrationStatus:
    """What `/metrics` and the admin API show of one trunk's registration."""

    key: str
    host: str
    port: int
    state: RegistrationState
    registered_for: float
    """Seconds the carrier still has us (0 when not registered)."""
    failures: int
    last_error: str


@dataclass(eq=False)
class _Trunk:
    carrier: Carrier
    registration: Registration
    call_id: Any
    local: Any
    cseq: int = 0
    in_flight: bool = False


class CarrierRegistrations:
    def __init__(
        self,
        config: dict[str, Any],
        policy: RegistrationPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._policy = policy
        self._clock = clock
        self._trunks: dict[str, _Trunk] = {}
        self._snapshot: tuple[RegistrationStatus, ...] = ()
        self._lock = threading.Lock()
        self._timer = Timeout(self._tick, TICK_SECONDS, -1)

    def configure(self, carriers: Iterable[Carrier]) -> None:
        """The trunks that register now (those with `register_expires`); new ones register at
        once, changed ones start again, removed ones are unregistered (Expires: 0)."""
        wanted = {c.key: c for c in carriers if c.register_expires is not None and c.username}
        for key, trunk in list(self._trunks.items()):
            if wanted.get(key) != trunk.carrier:
                del self._trunks[key]
                self._send(trunk, expires=0)
        now = self._clock()
        for key, carrier in wanted.items():
            if key not in self._trunks:
                assert carrier.register_expires is not None and carrier.username is not None
                local = SipFrom(address=SipAddress(url=self._aor(carrier)))
                local.genTag()
                self._trunks[key] = _Trunk(
                    carrier,
                    new_registration(carrier.register_expires, now),
                    SipCallId(),
                    local,
                )
        self._tick()

    def statuses(self) -> tuple[RegistrationStatus, ...]:
        """From any thread."""
        with self._lock:
            return self._snapshot

    def stop(self) -> None:
        self._timer.cancel()
        for trunk in self._trunks.values():
            self._send(trunk, expires=0)
        self._trunks.clear()
        self._publish()

    # -----------------------------------------------------------------------------------------

    def _tick(self) -> None:
        now = self._clock()
        for trunk in self._trunks.values():
            if not trunk.in_flight and trunk.registration.due(now):
                self._send(trunk, expires=trunk.registration.requested_expires)
        self._publish()

    def _aor(self, carrier: Carrier) -> Any:
        return SipURL(username=carrier.username, host=carrier.host)

    def _send(self, trunk: _Trunk, expires: int, authorization: Any = None) -> None:
        carrier = trunk.carrier
        trunk.cseq += 1
        contact = SipContact(
            address=SipAddress(
                url=SipURL(
                    username=carrier.username,
                    host=self._config["_sip_address"],
                    port=self._config["_sip_port"],
                )
            )
        )
        ruri = SipURL(host=carrier.host, port=carrier.port)
        if carrier.transport != "udp":
            ruri.transport = carrier.transport  # its connector sends it as it is
        req = SipRequest(
            method="REGISTER",
            ruri=ruri,
            to=SipTo(address=SipAddress(url=self._aor(carrier))),
            fr0m=trunk.local,
            cseq=trunk.cseq,
            callid=trunk.call_id,
            contact=contact,
            expires=SipExpires(number=expires),
            target=(carrier.next_hop, "udp"),
        )
        if authorization is not None:
            req.appendHeader(authorization)
        if expires:
            trunk.in_flight = True
        answered = partial(self._answered, trunk, req, expires, authorization is not None)
        self._config["_sip_tm"].newTransaction(req, answered)

    def _answered(
        self, trunk: _Trunk, req: Any, expires: int, authenticated: bool, resp: Any
    ) -> None:
        code, reason = resp.getSCode()
        if code < 200 or expires == 0 or self._trunks.get(trunk.carrier.key) is not trunk:
            return  # provisional, an unregistration, or a trunk removed meanwhile
        if code in (401, 407) and not authenticated:
            authorization = self._authorization(trunk.carrier, req, resp)
            if authorization is not None:
                self._send(trunk, expires, authorization)
                return
        trunk.in_flight = False
        now = self._clock()
        longer = _min_expires(resp) if code == 423 else None
        if longer is not None and longer > expires and longer <= MAX_REGISTER_EXPIRES:
            # 423 Interval Too Brief (RFC 3261 10.3): ask again for what the carrier wants.
            trunk.registration = replace(trunk.registration, requested_expires=longer)
            self._send(trunk, longer)
            return
        if 200 <= code < 300:
            contact = resp.getHFBody("contact") if resp.countHFs("contact") else None
            contact_expires = None if contact is None else contact.getUri().getParam("expires")
            header = str(resp.getHFBody("expires")) if resp.countHFs("expires") else None
            granted = granted_seconds(header, contact_expires, expires)
            trunk.registration = succeeded(trunk.registration, granted, now, self._policy)
            log.info("registered to %s:%d for %d s", trunk.carrier.host, trunk.carrier.port,
                     granted)  # fmt: skip
        else:
            error = f"{code} {reason}"
            if code in (401, 407):
                error += " (the carrier refused our credentials)"
            trunk.registration = failed(trunk.registration, error, now, self._policy)
            log.warning("registration to %s:%d failed: %s; next try in %.0f s",
                        trunk.carrier.host, trunk.carrier.port, error,
                        trunk.registration.next_attempt_at - now)  # fmt: skip
        self._publish()

    def _authorization(self, carrier: Carrier, req: Any, resp: Any) -> Any:
        for challenge_name, answer_name in CHALLENGES:
            if not resp.countHFs(challenge_name):
                continue
            challenge = resp.getHFBody(challenge_name)
            supported, qop = challenge.supportedAlgorithm()
            if not supported:
                return None
            answer = challenge.genAuthHF(
                carrier.username, carrier.password or "", "REGISTER", str(req.getRURI()), qop=qop
            )
            return SipHeader(name=answer_name, body=answer)
        return None

    def _publish(self) -> None:
        now = self._clock()
        snapshot = tuple(
            RegistrationStatus(
                key,
                trunk.carrier.host,
                trunk.carrier.port,
                trunk.registration.state(now),
                max(0.0, (trunk.registration.registered_until or now) - now),
                trunk.registration.failures,
                trunk.registration.last_error,
            )
            for key, trunk in self._trunks.items()
        )
        with self._lock:
            self._snapshot = snapshot


def _min_expires(resp: Any) -> int | None:
    if not resp.countHFs("min-expires"):
        return None
    try:
        return int(str(resp.getHFBody("min-expires")).strip())
    except ValueError:
        return None

"""Click-to-dial: the PBX calls the agent's phone, then the destination, and joins them.

Both legs are UAC legs, so the media flow differs from a caller's call (architecture.md):
1. `offer` {X, from-tag F (the destination side), placeholder SDP}: the reply is what the agent's
   phone is offered.
2. The phone answers: `answer` {X, F, A, phone SDP, port latching}: the reply is what the
   destination is offered.
3. The destination answers: `offer` {X, F, to-tag A, its SDP} then `answer` {X, F, A, phone SDP}
   again: rtpengine learns the destination's address, its ports stay the same (tried here on
   rtpengine 10.5), so no re-INVITE to the phone.
Without rtpengine the destination gets the phone's SDP and the phone a re-INVITE with the
destination's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Protocol

from sippy.CCEvents import (
    CCEventConnect,
    CCEventDisconnect,
    CCEventFail,
    CCEventRedirect,
    CCEventRing,
    CCEventTry,
    CCEventUpdate,
)
from sippy.MsgBody import MsgBody
from sippy.SipCallId import SipCallId
from sippy.SipURL import SipURL
from sippy.Time.Timeout import Timeout
from sippy.UA import UA

from pbx_core import call_control as cc
from pbx_core.directory import Directories
from pbx_core.location import LocationStore
from pbx_core.media.ng_client import NgClient
from pbx_core.sip.carrier import (
    SILENT_CARRIER_SECONDS,
    CarrierInvite,
    CarrierLeg,
    CarrierRefusal,
    place,
)
from pbx_core.sip.cased_header import auto_answer_headers, cased_header
from pbx_core.sip.sdp import PLACEHOLDER_SDP
from pbx_core.trunks.routing import Carrier, Refused, TrunkRouting

log = logging.getLogger(__name__)

AGENT = "agent"
DESTINATION = "destination"

Emit = Callable[[cc.CallEvent, "str | None"], None]


class CarrierGate(Protocol):
    """Call capacity and the toll-fraud guard for the destination leg (`Offers`, which counts
    every leg to the carrier)."""

    def carrier_refusal(self, invite: CarrierInvite) -> CarrierRefusal | None: ...

    def carrier_started(self, leg_id: str, invite: CarrierInvite) -> None: ...

    def carrier_ended(self, leg_id: str) -> None: ...


class DialState(StrEnum):
    RINGING_AGENT = "ringing_agent"
    RINGING_DESTINATION = "ringing_destination"
    CONNECTED = "connected"
    ENDED = "ended"


class _TryTo(CCEventTry):  # type: ignore[misc]
    """A CCEventTry whose Request-URI is a given URI (a registered Contact)."""

    target: str = ""

    def onUacSetupComplete(self, uac: Any) -> None:  # sippy's hook name
        if self.target:
            uac.rTarget = SipURL(url=self.target)


@dataclass(eq=False)
class DialCall:
    call_id: str
    extension: str
    destination: str
    ring_timeout: float
    tenant: str
    route: str | None
    """Where the PBX routes the events besides its subscribers (`cc.Dial.route`)."""
    intro: str | None
    """Played to the destination as it answers (`cc.Dial.intro`)."""
    state: DialState = DialState.RINGING_AGENT
    agent: Any = None
    far: Any = None
    agent_sdp: str = ""
    timer: Any = None
    ringing_reported: tuple[bool, bool] = (False, False)
    carrier: CarrierLeg | None = None
    """The destination leg's way along its trunk route (an outside number)."""
    offer: str = ""
    """What the destination is offered (again on the next trunk)."""
    silence: Any = None
    """Left for the next trunk when the carrier answers nothing (`SILENT_CARRIER_SECONDS`)."""

    @property
    def far_tag(self) -> str:
        return f"{self.call_id}~destination"

    @property
    def agent_tag(self) -> str:
        return f"{self.call_id}~agent"


class ClickToDial:
    """Runs in the SIP thread, beside `CallManager` (which hands it `Dial` and the commands for
    its calls)."""

    def __init__(
        self,
        global_config: dict[str, Any],
        directories: Directories,
        locations: LocationStore,
        emit: Emit,
        contact: Callable[[], Any],
        *,
        media: NgClient | None,
        trunks: TrunkRouting,
        prompt_path: Callable[[str], str],
    ) -> None:
        self._config = global_config
        self.directories = directories
        self._locations = locations
        self._emit = emit
        self._contact = contact
        self._media = media
        self.trunks = trunks
        self._prompt_path = prompt_path
        self.calls: dict[str, DialCall] = {}
        self.carrier_gate: CarrierGate | None = None
        """Set by `CallManager` once its offers exist; None: legs to the carrier are not gated."""

    # -----------------------------------------------------------------------------------------
    # Commands

    def start(self, command: cc.Dial, busy: Callable[[str, str], bool]) -> None:
        if command.call_id in self.calls:
            self._emit(cc.CommandFailed(command.call_id, "Dial", "call id in use"), command.route)
            return
        call = DialCall(
            command.call_id,
            command.extension,
            command.destination,
            command.ring_timeout,
            command.tenant,
            command.route,
            command.intro,
        )
        binding = self._locations.lookup(call.tenant, command.extension)
        if binding is None or busy(call.tenant, command.extension):
            failure = cc.OfferFailure.NOT_REGISTERED if binding is None else cc.OfferFailure.BUSY
            self._emit(cc.OfferFailed(call.call_id, AGENT, call.extension, failure), call.route)
            self._emit(cc.CallHungUp(call.call_id, cc.HangupSide.PBX), call.route)
            return
        self.calls[call.call_id] = call
        sdp = PLACEHOLDER_SDP
        if self._media is not None:
            sdp = self._media.offer(call.call_id, call.far_tag, PLACEHOLDER_SDP)
        # The clicking user is at their screen: a browser phone answers its own click-to-dial
        # by itself (the hint), as docs/webrtc.md promises; a desk phone rings as ever, unless
        # the command asks it to answer too (`Dial.auto_answer`).
        headers = auto_answer_headers() if binding.browser or command.auto_answer else ()
        if command.alert_info:
            headers = (*headers, cased_header("Alert-Info", command.alert_info))
        call.agent = self._invite(
            call, (binding.host, binding.port), binding.contact, call.destination,
            call.extension, sdp, AGENT, headers,
        )  # fmt: skip

    def hang_up(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            self._end(call, cc.HangupSide.PBX)

    # -----------------------------------------------------------------------------------------
    # Legs

    def _invite(
        self,
        call: DialCall,
        address: tuple[str, int],
        target: str,
        caller: str,
        called: str,
        sdp: str,
        leg: str,
        headers: tuple[Any, ...] = (),
        credentials: tuple[str | None, str | None] = (None, None),
    ) -> Any:
        username, password = credentials
        ua = UA(self._config, username=username, password=password, nh_address=address)
        ua.lContact = self._contact()
        ua.event_cb = partial(self._on_event, call, leg)
        event = _TryTo((SipCallId(), caller, called, MsgBody(sdp), None, ""))
        event.target = target
        event.extra_headers = headers or None
        ua.recvEvent(event)
        self._cancel_timer(call)
        call.timer = Timeout(partial(self._guard, self._ring_timeout, call, leg), call.ring_timeout)
        return ua

    def _on_event(self, call: DialCall, leg: str, event: Any, _ua: Any) -> None:
        self._guard(self._handle, call, leg, event)

    def _handle(self, call: DialCall, leg: str, event: Any) -> None:
        if leg == DESTINATION and call.silence is not None:  # the trunk answered: it is alive
            call.silence.cancel()
            call.silence = None
        if call.state is DialState.ENDED:
            return
        ringing = (call.state is DialState.RINGING_AGENT and leg == AGENT) or (
            call.state is DialState.RINGING_DESTINATION and leg == DESTINATION
        )
        number = call.extension if leg == AGENT else call.destination
        if isinstance(event, CCEventRing) and ringing and event.getData()[0] >= 180:
            index = 0 if leg == AGENT else 1
            if not call.ringing_reported[index]:
                flags = list(call.ringing_reported)
                flags[index] = True
                call.ringing_reported = (flags[0], flags[1])
                self._emit(cc.CallRinging(call.call_id, leg, number), call.route)
        elif isinstance(event, CCEventConnect) and ringing:
            self._cancel_timer(call)
            body = event.getData()[2]
            sdp = str(body) if body is not None else ""
            if leg == AGENT:
                self._emit(cc.CallAnswered(call.call_id, leg, number), call.route)
                self._agent_answered(call, sdp)
            else:
                self._destination_answered(call, sdp)  # media joined before anyone is told
                self._emit(cc.CallAnswered(call.call_id, leg, number), call.route)
        elif isinstance(event, CCEventFail | CCEventRedirect) and ringing:
            code = int(event.getData()[0])
            if leg == DESTINATION and self._fail_over(call, code):
                return
            failure = cc.OfferFailure.BUSY if code in (486, 600) else cc.OfferFailure.REJECTED
            self._emit(cc.OfferFailed(call.call_id, leg, number, failure, code), call.route)
            self._end(call, cc.HangupSide.PBX, gone=leg, code=code)
        elif isinstance(event, CCEventDisconnect):
            side = cc.HangupSide.CALLER if leg == AGENT else cc.HangupSide.CALLEE
            self._end(call, side, gone=leg)
        elif isinstance(event, CCEventUpdate):
            ua = call.agent if leg == AGENT else call.far
            ua.recvEvent(CCEventConnect((200, "OK", ua.lSDP)))  # media stays where it is

    def _agent_answered(self, call: DialCall, sdp: str) -> None:
        call.agent_sdp = sdp
        offer = sdp
        if self._media is not None:
            offer = self._media.answer(
                call.call_id, call.far_tag, call.agent_tag, sdp, latching=True
            )
        call.state = DialState.RINGING_DESTINATION
        destination = call.destination
        if self.directories.user(call.tenant, destination) is not None:
            binding = self._locations.lookup(call.tenant, destination)
            if binding is None:
                self._unreachable(call, cc.OfferFailure.NOT_REGISTERED, 480)
                return
            address, target = (binding.host, binding.port), binding.contact
            call.far = self._invite(
                call, address, target, call.extension, destination, offer, DESTINATION
            )
            return
        our_host = self._config["_sip_address"]
        caller = self.directories.user(call.tenant, call.extension)  # the caller's tenant's numbers
        placed = place(self.trunks, caller, call.extension, destination, "", our_host)
        if isinstance(placed, Refused) or placed.placed.pin:
            # A PIN is keyed on the phone that dials (docs/trunks.md): not by a click.
            code = placed.code if isinstance(placed, Refused) else 403
            self._unreachable(call, cc.OfferFailure.REJECTED, code)
            return
        gate = self.carrier_gate
        refusal = gate.carrier_refusal(placed) if gate is not None else None
        if refusal is not None:
            self._unreachable(call, refusal.failure, refusal.code)
            return
        if gate is not None:
            gate.carrier_started(call.far_tag, placed)
        call.offer = offer
        call.carrier = CarrierLeg(placed)
        self._to_trunk(call, placed, placed.placed.route[0])

    def _to_trunk(self, call: DialCall, placed: CarrierInvite, trunk: Carrier) -> None:
        """The destination leg through `trunk`; a later trunk on the route gets it when this
        one fails (503, 500, 408) or stays silent, as ordinary outbound calls do."""
        number = placed.placed.request_user
        call.far = self._invite(
            call, trunk.next_hop, trunk.request_uri(number), placed.from_user, number,
            call.offer, DESTINATION, placed.headers, (trunk.username, trunk.password),
        )  # fmt: skip
        if call.carrier is not None and call.carrier.has_next:
            silent = partial(self._guard, self._carrier_silent, call)
            call.silence = Timeout(silent, SILENT_CARRIER_SECONDS)

    def _fail_over(self, call: DialCall, code: int) -> bool:
        carrier = call.carrier
        trunk = carrier.next_trunk(code) if carrier is not None else None
        if carrier is None or trunk is None:
            return False
        call.far.event_cb = None
        self._to_trunk(call, carrier.invite, trunk)
        return True

    def _carrier_silent(self, call: DialCall) -> None:
        call.silence = None
        if call.state is not DialState.RINGING_DESTINATION:
            return
        log.warning("trunk silent for %.0f s on click-to-dial %s: trying the next",
                    SILENT_CARRIER_SECONDS, call.call_id)  # fmt: skip
        silent = call.far
        silent.event_cb = None  # its CANCEL's outcome is nobody's business now
        silent.recvEvent(CCEventDisconnect())
        self._fail_over(call, 408)

    def _destination_answered(self, call: DialCall, sdp: str) -> None:
        call.state = DialState.CONNECTED
        if self._media is not None:
            # A re-offer from the destination's side tells rtpengine where it is; its ports
            # stay, so the phone needs no re-INVITE.
            self._media.request(
                "offer",
                call_id=call.call_id,
                from_tag=call.far_tag,
                to_tag=call.agent_tag,
                sdp=sdp,
                replace=["origin", "session-connection"],
                flags=["port latching"],
            )
            self._media.answer(
                call.call_id, call.far_tag, call.agent_tag, call.agent_sdp, latching=True
            )
            if call.intro is not None:
                # Toward the destination only: the agent hears the customer meanwhile.
                self._media.play_media(call.call_id, call.far_tag, self._prompt_path(call.intro))
        else:
            call.agent.recvEvent(CCEventUpdate(MsgBody(sdp)))

    def _unreachable(self, call: DialCall, failure: cc.OfferFailure, code: int) -> None:
        self._emit(
            cc.OfferFailed(call.call_id, DESTINATION, call.destination, failure, code), call.route
        )
        self._end(call, cc.HangupSide.PBX, code=code)

    def _ring_timeout(self, call: DialCall, leg: str) -> None:
        call.timer = None
        if call.state not in (DialState.RINGING_AGENT, DialState.RINGING_DESTINATION):
            return
        number = call.extension if leg == AGENT else call.destination
        self._emit(
            cc.OfferFailed(call.call_id, leg, number, cc.OfferFailure.NO_ANSWER, 408), call.route
        )
        self._end(call, cc.HangupSide.PBX, code=408)

    def _end(self, call: DialCall, side: cc.HangupSide, *, gone: str = "", code: int = 0) -> None:
        if call.state is DialState.ENDED:
            return
        call.state = DialState.ENDED
        self._cancel_timer(call)
        if self.carrier_gate is not None:
            self.carrier_gate.carrier_ended(call.far_tag)
        for leg, ua in ((AGENT, call.agent), (DESTINATION, call.far)):
            if ua is not None and leg != gone and not ua.isDead():
                ua.recvEvent(CCEventDisconnect())  # CANCEL or BYE, as the leg's state needs
        if self._media is not None:
            self._media.delete(call.call_id)
        self.calls.pop(call.call_id, None)
        self._emit(cc.CallHungUp(call.call_id, side, code), call.route)

    @staticmethod
    def _cancel_timer(call: DialCall) -> None:
        for timer in (call.timer, call.silence):
            if timer is not None:
                timer.cancel()
        call.timer = call.silence = None

    def _guard(self, func: Callable[..., None], *args: Any) -> None:
        try:
            func(*args)
        except Exception:
            log.exception("error in click-to-dial (%s)", getattr(func, "__name__", func))
            call = next((a for a in args if isinstance(a, DialCall)), None)
            if call is not None and call.state is not DialState.ENDED:
                try:
                    self._end(call, cc.HangupSide.PBX, code=500)
                except Exception:
                    self.calls.pop(call.call_id, None)

    def busy_extensions(self) -> set[tuple[str, str]]:
        """(tenant, extension) of every phone a click-to-dial call holds."""
        return {(call.tenant, call.extension) for call in self.calls.values()}

"""The B2BUA: every call's caller leg, the legs to extensions, and the commands that move them.

Runs entirely in the SIP thread. sippy's `UA` objects do the RFC 3261 dialog work; the parts
wired here decide what each leg's events mean for the call and tell the application through
`emit` (docs/pbx.md, "Layout", names each part's module).

Media: with rtpengine the caller is anchored on its own (offer at INVITE time, architecture.md
flow), so prompts and music can play before anyone is bridged, and a leg is bridged by an
rtpengine `answer` with the leg's SDP (no re-INVITE to the caller). Without rtpengine (benchmark,
plain extension calls) SDP passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pbx_core import call_control as cc
from pbx_core.directory import Directories
from pbx_core.fax.part import FaxPart, FaxSettings
from pbx_core.features.forwarding import CallForwarding
from pbx_core.features.hoteling import HotelingTable
from pbx_core.features.manager_assistant import ManagerAssistantTable
from pbx_core.features.rooms import RoomsTable
from pbx_core.features.table import ServicesTable
from pbx_core.location import LocationStore
from pbx_core.media.ng_client import NgClient, NgError
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.calls.bridge_rooms import BridgeRooms
from pbx_core.sip.calls.bridging import Bridging
from pbx_core.sip.calls.call_handling import CallHandling
from pbx_core.sip.calls.call_pin import CallPin
from pbx_core.sip.calls.caller_media import CallerMedia
from pbx_core.sip.calls.commands import CommandDispatcher
from pbx_core.sip.calls.conference_call import ConferenceCalls
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.hold import HoldAndDtmf
from pbx_core.sip.calls.inbound import Inbound
from pbx_core.sip.calls.model import Call, Emit
from pbx_core.sip.calls.monitoring import Monitoring
from pbx_core.sip.calls.offers import Offers
from pbx_core.sip.calls.park import DEFAULT_PARK_TIMEOUT
from pbx_core.sip.digest import DigestAuth
from pbx_core.trunks.alerts import AlertSink, no_alerts
from pbx_core.trunks.routing import NO_TRUNKS, TrunkRouting
from pbx_core.voicemail.deposit import VoicemailSettings
from pbx_core.voicemail.part import VoicemailPart


class CallManager:
    def __init__(
        self,
        global_config: dict[str, Any],
        directories: Directories,
        locations: LocationStore,
        emit: Emit,
        *,
        realm: str,
        auth: DigestAuth,
        throttle: AuthThrottle,
        media: NgClient | None = None,
        prompt_path: Callable[[str], str] = str,
        extension_ring_timeout: float = 30.0,
        max_calls_per_extension: int = 1,
        trunks: TrunkRouting = NO_TRUNKS,
        recording_sink: Callable[[dict[str, Any]], None] | None = None,
        voicemail: VoicemailSettings | None = None,
        fax: FaxSettings | None = None,
        user_services: ServicesTable | None = None,
        rooms: RoomsTable | None = None,
        hoteling: HotelingTable | None = None,
        manager_assistant: ManagerAssistantTable | None = None,
        park_timeout: float = DEFAULT_PARK_TIMEOUT,
        alert: AlertSink = no_alerts,
    ) -> None:
        ctx = CallContext(
            global_config,
            directories,
            locations,
            emit,
            realm=realm,
            auth=auth,
            throttle=throttle,
            media=media,
            prompt_path=prompt_path,
            extension_ring_timeout=extension_ring_timeout,
            max_calls_per_extension=max_calls_per_extension,
            trunks=trunks,
            recording_sink=recording_sink,
            alert=alert,
        )
        ctx.hoteling = hoteling or HotelingTable()
        ctx.manager_assistant = manager_assistant or ManagerAssistantTable()
        ctx.offers = Offers(ctx)
        ctx.dial.carrier_gate = ctx.offers  # click-to-dial's legs out count as any others
        ctx.bridging = Bridging(ctx)
        ctx.caller_media = CallerMedia(ctx)
        ctx.hold = HoldAndDtmf(ctx)
        ctx.monitoring = Monitoring(ctx)
        ctx.voicemail = VoicemailPart(ctx, voicemail)
        ctx.fax = FaxPart(ctx, fax)
        table = user_services or ServicesTable()
        ctx.forwarding = CallForwarding(ctx, table)
        ctx.conference_calls = ConferenceCalls(ctx, table)
        ctx.bridge_rooms = BridgeRooms(ctx, rooms or RoomsTable())
        ctx.call_handling = CallHandling(ctx, table, park_timeout)
        ctx.call_pin = CallPin(ctx, voicemail)  # the PIN is the voice portal's
        ctx.voicemail.wire(ctx.forwarding)  # voicemail behind forwarding's hooks
        self._ctx = ctx
        self._inbound = Inbound(ctx)
        self._commands = CommandDispatcher(ctx)
        self.calls: dict[str, Call] = ctx.calls
        self.bridge_rooms = ctx.bridge_rooms

    def new_invite(self, req: Any, sip_t: Any) -> Any:
        return self._inbound.new_invite(req, sip_t)

    def on_rtp_dtmf(self, call_id: str, source_tag: str, digit: str) -> None:
        """A digit rtpengine decoded from RFC 4733 events (its `--dtmf-log-dest` feed)."""
        self._ctx.hold.on_rtp_dtmf(call_id, source_tag, digit)

    def execute(self, command: cc.CallCommand) -> None:
        ctx = self._ctx
        name = type(command).__name__
        if isinstance(command, cc.Dial):
            ctx.dial.start(command, ctx.is_busy)
            return
        if command.call_id in ctx.dial.calls:
            if isinstance(command, cc.Hangup):
                ctx.dial.hang_up(command.call_id)
            else:
                reason = "only Hangup applies to a click-to-dial call"
                ctx.emit(cc.CommandFailed(command.call_id, name, reason), None)
            return
        call = ctx.calls.get(command.call_id)
        if call is None or call.ended:
            ctx.emit(cc.CommandFailed(command.call_id, name, "no such call"), None)
            return
        try:
            self._commands.execute(call, command)
        except NgError as error:
            ctx.fail(call, name, f"media: {error}")

    def set_directories(self, directories: Directories) -> None:
        self._ctx.directories = directories
        self._ctx.dial.directories = directories

    def set_trunks(self, trunks: TrunkRouting) -> None:
        self._ctx.trunks = trunks
        self._ctx.dial.trunks = trunks

    def hang_up_all(self) -> None:
        for call_id in list(self._ctx.calls):
            self.execute(cc.Hangup(call_id, code=503, reason="Service Unavailable"))
        for call_id in list(self._ctx.dial.calls):
            self._ctx.dial.hang_up(call_id)
        self._ctx.voicemail.stop()
        self._ctx.fax.stop()

    # -----------------------------------------------------------------------------------------
    # Introspection (tests, metrics)

    def busy_extensions(self) -> dict[tuple[str, str], int]:
        return dict(self._ctx.busy)

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

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sippy.CCEvents import CCEventDisconnect

from pbx_core import call_control as cc
from pbx_core.directory import Directories
from pbx_core.fax.part import FaxPart, FaxSettings
from pbx_core.features.alternates import AlternatesTable
from pbx_core.features.forwarding import CallForwarding
from pbx_core.features.hoteling import HotelingTable
from pbx_core.features.intercom import IntercomTable
from pbx_core.features.manager_assistant import ManagerAssistantTable
from pbx_core.features.pickup_groups import PickupGroupsTable
from pbx_core.features.ringback import RingbackTable
from pbx_core.features.rooms import RoomsTable
from pbx_core.features.speed_dial import SpeedDialTable
from pbx_core.features.table import ServicesTable
from pbx_core.location import LocationStore
from pbx_core.media.ng_client import NgClient, NgError
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.calls.bridge_rooms import BridgeRooms
from pbx_core.sip.calls.bridging import Bridging
from pbx_core.sip.calls.call_handling import CallHandling
from pbx_core.sip.calls.call_pin import CallPin
from pbx_core.sip.calls.callback import AutomaticCallback
from pbx_core.sip.calls.caller_media import CallerMedia
from pbx_core.sip.calls.commands import CommandDispatcher
from pbx_core.sip.calls.conference_call import ConferenceCalls
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.dialog_takeover import DialogKeeper, check_dialog, rebuilt_call
from pbx_core.sip.calls.hold import HoldAndDtmf
from pbx_core.sip.calls.inbound import Inbound
from pbx_core.sip.calls.model import Call, Emit
from pbx_core.sip.calls.monitoring import Monitoring
from pbx_core.sip.calls.offers import Offers
from pbx_core.sip.calls.park import DEFAULT_PARK_TIMEOUT
from pbx_core.sip.calls.ringback import CustomRingback
from pbx_core.sip.calls.speed_dial import SpeedDialCalls
from pbx_core.sip.dialog_store import StoredDialog
from pbx_core.sip.digest import DigestAuth
from pbx_core.trunks.alerts import AlertSink, no_alerts
from pbx_core.trunks.routing import NO_TRUNKS, TrunkRouting
from pbx_core.voicemail.deposit import VoicemailSettings
from pbx_core.voicemail.part import VoicemailPart

log = logging.getLogger(__name__)


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
        pickup_groups: PickupGroupsTable | None = None,
        intercom: IntercomTable | None = None,
        speed_dials: SpeedDialTable | None = None,
        alternates: AlternatesTable | None = None,
        ringbacks: RingbackTable | None = None,
        park_timeout: float = DEFAULT_PARK_TIMEOUT,
        alert: AlertSink = no_alerts,
        dialogs: DialogKeeper | None = None,
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
        ctx.dialogs = dialogs or DialogKeeper(None, 0)
        ctx.hoteling = hoteling or HotelingTable()
        ctx.manager_assistant = manager_assistant or ManagerAssistantTable()
        ctx.pickup_groups = pickup_groups or PickupGroupsTable()
        ctx.intercom = intercom or IntercomTable()
        ctx.alternates = alternates or AlternatesTable()
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
        ctx.speed_dial = SpeedDialCalls(ctx, table, speed_dials or SpeedDialTable())
        ctx.callback = AutomaticCallback(ctx, table)
        ctx.ringback = CustomRingback(ctx, ringbacks or RingbackTable())
        ctx.call_pin = CallPin(ctx, voicemail)  # the PIN is the voice portal's
        ctx.voicemail.wire(ctx.forwarding)  # voicemail behind forwarding's hooks
        self._ctx = ctx
        self._inbound = Inbound(ctx)
        self._commands = CommandDispatcher(ctx)
        self.calls: dict[str, Call] = ctx.calls
        self.dialog_checks: dict[str, int | None] = {}
        """Call id -> the final answer to the check of a taken-over caller's dialog, None while
        it is open (`take_over`)."""
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

    def take_over(self, dialogs: Sequence[StoredDialog]) -> list[str]:
        """Rebuild the calls of the stored `dialogs` (a crashed PBX's callers): the ids of those
        this PBX now holds, each stored again under its token, and each caller asked whether it
        still knows its dialog (`dialog_checks`; docs/deploy.md)."""
        ctx = self._ctx
        taken: list[str] = []
        for dialog in dialogs:
            if dialog.call_id in ctx.calls:
                continue
            try:
                call = rebuilt_call(
                    ctx.config, dialog, self._inbound.on_taken_over_event,
                    ctx.offers.on_leg_ua_event,
                )  # fmt: skip
            except Exception:  # a dialog sippy cannot parse: that call is lost, not the others
                log.exception("dialog of %s cannot be taken over", dialog.call_id)
                continue
            if not ctx.dialogs.save(call):  # a newer node took it over meanwhile
                log.warning("dialog of %s belongs to a newer node: not taken", dialog.call_id)
                for ua in (call.ua, *(leg.ua for leg in call.legs.values())):
                    ua.event_cb = None
                    ctx.config["_sip_tm"].unregConsumer(ua, str(ua.cId))
                continue
            ctx.calls[call.call_id] = call
            if call.cti_hold:  # its music (`HoldAndDtmf.hold`), played again if rtpengine restarts
                call.looping = ctx.prompt_path("music_on_hold")
            for leg in call.legs.values():
                ctx.claim(leg.tenant, leg.extension)  # busy, as before the crash
            taken.append(call.call_id)
            self.dialog_checks[call.call_id] = None
            check_dialog(call.ua, partial(self.dialog_checks.__setitem__, call.call_id))
        return taken

    def drop_forgotten_dialogs(self) -> list[str]:
        """The taken-over calls whose caller answered its check with 481 (it hung up while no
        PBX ran): dropped here without a word to anyone (the engine ends them as lost, the
        caller has no dialog left to end), their legs hung up. Checks still open are let be."""
        ctx = self._ctx
        gone = [call_id for call_id, code in self.dialog_checks.items() if code == 481]
        self.dialog_checks.clear()
        for call_id in gone:
            call = ctx.calls.pop(call_id, None)
            if call is None:
                continue
            call.ended = True
            call.ua.event_cb = None
            ctx.config["_sip_tm"].unregConsumer(call.ua, call_id)
            for leg in list(call.legs.values()):
                leg.ua.recvEvent(CCEventDisconnect())
                ctx.offers.end_leg(leg)
            if ctx.media is not None:
                ctx.media.delete(call_id)
            ctx.dialogs.forget(call)
        return gone

    def media_restarted(self) -> None:
        """rtpengine restarted and restored its sessions, not its players: the loops again."""
        self._ctx.caller_media.replay_loops()

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

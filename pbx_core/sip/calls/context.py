"""What the parts of the B2BUA share: its settings, its calls, the busy count per extension,
and each other (the parts call one another: a leg's answer bridges, a bridge may end a call)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pbx_core import call_control as cc
from pbx_core.directory import Directories, Directory, SipUser, digest_realm
from pbx_core.features.alternates import AlternatesTable
from pbx_core.features.hoteling import HotelingTable
from pbx_core.features.intercom import IntercomTable
from pbx_core.features.manager_assistant import ManagerAssistantTable
from pbx_core.features.pickup_groups import PickupGroupsTable
from pbx_core.location import LocationStore
from pbx_core.media.ng_client import NgClient
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.calls.model import Call, Emit
from pbx_core.sip.click_to_dial import ClickToDial
from pbx_core.sip.digest import DigestAuth
from pbx_core.sip.headers import our_contact
from pbx_core.trunks.alerts import AlertSink, no_alerts
from pbx_core.trunks.routing import TrunkRouting

if TYPE_CHECKING:
    from pbx_core.fax.part import FaxPart
    from pbx_core.features.forwarding import CallForwarding
    from pbx_core.sip.calls.bridge_rooms import BridgeRooms
    from pbx_core.sip.calls.bridging import Bridging
    from pbx_core.sip.calls.call_handling import CallHandling
    from pbx_core.sip.calls.call_pin import CallPin
    from pbx_core.sip.calls.callback import AutomaticCallback
    from pbx_core.sip.calls.caller_media import CallerMedia
    from pbx_core.sip.calls.conference_call import ConferenceCalls
    from pbx_core.sip.calls.dialog_takeover import DialogKeeper
    from pbx_core.sip.calls.hold import HoldAndDtmf
    from pbx_core.sip.calls.monitoring import Monitoring
    from pbx_core.sip.calls.offers import Offers
    from pbx_core.sip.calls.ringback import CustomRingback
    from pbx_core.sip.calls.speed_dial import SpeedDialCalls
    from pbx_core.voicemail.part import VoicemailPart

log = logging.getLogger(__name__)


class CallContext:
    # The parts, each set once by `CallManager` before the first SIP message arrives.
    offers: Offers
    bridging: Bridging
    caller_media: CallerMedia
    hold: HoldAndDtmf
    monitoring: Monitoring
    voicemail: VoicemailPart
    fax: FaxPart
    forwarding: CallForwarding
    conference_calls: ConferenceCalls
    bridge_rooms: BridgeRooms
    call_handling: CallHandling
    call_pin: CallPin
    dialogs: DialogKeeper
    """The callers' dialogs in Redis, for a restarted PBX to take over (issue 20)."""
    speed_dial: SpeedDialCalls
    callback: AutomaticCallback
    ringback: CustomRingback
    hoteling: HotelingTable
    """Which guest sits at which host phone (features/hoteling.py)."""
    manager_assistant: ManagerAssistantTable
    """Which calls to a manager ring an assistant first (features/manager_assistant.py)."""
    alternates: AlternatesTable
    """Users' alternate numbers and their rings (features/alternates.py)."""
    pickup_groups: PickupGroupsTable
    """Whose ringing calls a user's `*98` may take (features/pickup_groups.py)."""
    intercom: IntercomTable
    """Who accepts whose intercom calls (features/intercom.py)."""

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
        media: NgClient | None,
        prompt_path: Callable[[str], str],
        extension_ring_timeout: float,
        max_calls_per_extension: int,
        trunks: TrunkRouting,
        recording_sink: Callable[[dict[str, Any]], None] | None,
        alert: AlertSink = no_alerts,
    ) -> None:
        self.config = global_config
        self.directories = directories
        self.locations = locations
        self.emit = emit
        self.default_realm = realm
        self.auth = auth
        self.throttle = throttle
        self.media = media
        self.prompt_path = prompt_path
        self.extension_ring_timeout = extension_ring_timeout
        self.max_calls_per_extension = max_calls_per_extension
        self.trunks = trunks
        """Direct numbers, the carrier, calling plans (`CallManager.set_trunks` swaps it)."""
        self.recording_sink = recording_sink
        self.alert = alert
        """Tells the tenant's admins (toll-fraud guard, call capacity): `trunks/alerts.py`."""
        self.calls: dict[str, Call] = {}
        self.busy: dict[tuple[str, str], int] = {}
        """(tenant, extension) -> its legs and monitors in progress (outside numbers are not
        counted)."""
        self.dial = ClickToDial(
            global_config,
            directories,
            locations,
            emit,
            self.contact,
            media=media,
            trunks=self.trunks,
            prompt_path=prompt_path,
        )

    def user(self, call: Call, extension: str) -> SipUser | None:
        """`extension` of the call's tenant."""
        return self.directories.user(call.tenant, extension)

    def realm(self, directory: Directory | None) -> str:
        return digest_realm(directory, self.default_realm)

    def contact(self) -> Any:
        return our_contact(self.config)

    def fail(self, call: Call, command: str, reason: str) -> None:
        self.emit(cc.CommandFailed(call.call_id, command, reason), call.route)

    def guard(self, func: Callable[..., None], *args: Any) -> None:
        """One call's bug or media failure must not take the SIP thread (and every other call)
        down with it: log it and end that call."""
        try:
            func(*args)
        except Exception:
            log.exception("error in call handling (%s)", getattr(func, "__name__", func))
            call = next((a for a in args if isinstance(a, Call)), None)
            if call is not None and not call.ended:
                try:
                    self.bridging.end_call(call, cc.HangupSide.PBX, code=500, reason="Server Error")
                except Exception:
                    log.exception("could not end call %s cleanly", call.call_id)
                    self.calls.pop(call.call_id, None)

    # -----------------------------------------------------------------------------------------
    # Busy extensions (`max_calls_per_extension`)

    def is_busy(self, tenant: str, extension: str) -> bool:
        limit = self.max_calls_per_extension
        return bool(limit) and self.in_use(tenant, extension) >= limit

    def in_use(self, tenant: str, extension: str) -> int:
        key = (tenant, extension)
        return self.busy.get(key, 0) + (key in self.dial.busy_extensions())

    def claim(self, tenant: str, extension: str) -> None:
        key = (tenant, extension)
        self.busy[key] = self.busy.get(key, 0) + 1

    def release(self, tenant: str, extension: str) -> None:
        key = (tenant, extension)
        if key not in self.busy:
            return  # an outside number: never counted
        left = self.busy[key] - 1
        if left > 0:
            self.busy[key] = left
        else:
            del self.busy[key]

"""Voicemail's one seat in the B2BUA (`CallContext.voicemail`): leaving messages (`deposit.py`)
and the voice portal (`portal.py`), behind the few calls the call path makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx_core import call_control as cc
from pbx_core.voicemail.deposit import BUSY_REASONS, VoicemailDeposit, VoicemailSettings
from pbx_core.voicemail.portal import PORTAL_CODE, VoicePortal
from pbx_core.voicemail.recorder import MessageRecorder

if TYPE_CHECKING:
    from pbx_core.features.forwarding import CallForwarding
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call


class VoicemailPart:
    def __init__(self, ctx: CallContext, settings: VoicemailSettings | None) -> None:
        self._ctx = ctx
        self._settings = settings
        # One recorder (one thread) for the messages left and the portal's recordings.
        self._recorder = MessageRecorder(ctx.config["_sip_address"]) if settings else None
        self._deposit = VoicemailDeposit(ctx, settings, self._recorder)
        self._portal = (
            VoicePortal(ctx, settings, self._recorder)
            if settings is not None and settings.portal is not None and self._recorder
            else None
        )

    def wire(self, forwarding: CallForwarding) -> None:
        """Voicemail behind forwarding's hooks: an unanswered (or do-not-disturb) user call goes
        to the user's forwarding if set, else here, else the caller hears 480/486."""
        forwarding.has_voicemail = self._deposit.available
        forwarding.voicemail = self._to_voicemail

    def _to_voicemail(self, call: Call, extension: str, reason: str) -> None:
        if not self._deposit.divert(call, extension, reason):
            # has_voicemail said yes a moment ago; the caller must not be left ringing.
            code = 486 if reason in BUSY_REASONS else 480
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX, code=code, reason="No Voicemail")

    def take(self, call: Call, extension: str, reason: str = "unavailable") -> bool:
        """The application's `Transfer(to_voicemail=True)` (the automatic callback's busy
        treatment: `reason` "user-busy"): False when the box cannot take it."""
        return self._deposit.divert(call, extension, reason, asked=True)

    def is_portal(self, called: str) -> bool:
        return called == PORTAL_CODE and self._portal is not None and self._ctx.media is not None

    def start_portal(self, call: Call) -> None:
        """`*62` from the caller's own phone (inbound.py's hook; the caller passed digest)."""
        user = self._ctx.user(call, call.caller)  # in the caller's own tenant
        settings = self._settings
        box = settings.mailbox(user.tenant, call.caller) if user and settings else None
        if box is None or self._portal is None:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX, code=404, reason="No Mailbox")
            return
        self._portal.start(call, box.language)

    def on_digit(self, call: Call, digit: str) -> bool:
        """A caller's digit: True when voicemail (deposit or portal) took it."""
        if self._deposit.on_digit(call, digit):
            return True
        return self._portal is not None and self._portal.on_digit(call, digit)

    def call_ended(self, call: Call) -> None:
        self._deposit.call_ended(call)
        if self._portal is not None:
            self._portal.call_ended(call)

    def stop(self) -> None:
        if self._recorder is not None:
            self._recorder.stop()

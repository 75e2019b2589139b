"""Calls "only with a PIN" (service description ch. 7, Enhanced Outgoing Calling Plan with
authorization codes): an extension dials a number whose category its plan lets out only after a
PIN. The PBX answers the caller, asks for the PIN (spoken, NL/EN by the user's language, as the
voice portal does), takes the digits (RFC 4733 through rtpengine or SIP INFO, ended with `#`),
and only with the right PIN places the leg to the carrier, in the same call.

The PIN is the caller's own voice-portal PIN, checked by the voicemail store with its lock (a
run of wrong PINs locks it for the portal too until the user sets a new one); each refusal is
audited there with the number, never the PIN. The digits are not reported as `DtmfReceived`.
Runs in the SIP thread (docs/trunks.md, "Only with a PIN").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, assert_never

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.media.ng_client import NgError
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.voicemail.greetings import spoken_language
from pbx_core.voicemail.portal_menu import MAX_PIN_DIGITS, PinCheck

if TYPE_CHECKING:
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call
    from pbx_core.voicemail.deposit import VoicemailSettings
    from pbx_core.voicemail.portal import PortalStore

log = logging.getLogger(__name__)

MAX_TRIES_PER_CALL = 3
"""Wrong PINs in one call before the PBX hangs up (the store's lock counts across calls)."""
PIN_SECONDS = 20.0
"""How long the caller has for each PIN after the prompt starts (then the PBX hangs up)."""

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "enter_pin": "Voor dit nummer is uw pincode nodig. Voer uw pincode in, gevolgd door hekje.",
        "wrong_pin": "Onjuiste pincode. Probeer het opnieuw.",
        "wrong_pin_goodbye": "Onjuiste pincode. Tot ziens.",
        "locked": "Uw pincode is geblokkeerd. Stel een nieuwe pincode in. Tot ziens.",
    },
    "en": {
        "enter_pin": "This number needs your PIN. Enter your PIN, followed by hash.",
        "wrong_pin": "Wrong PIN. Please try again.",
        "wrong_pin_goodbye": "Wrong PIN. Goodbye.",
        "locked": "Your PIN is locked. Please set a new PIN. Goodbye.",
    },
}


class Stage(StrEnum):
    PIN = "pin"
    GOODBYE = "goodbye"


@dataclass(eq=False)
class _Asking:
    extension: str
    number: str
    """The called number (E.164), for the audit."""
    language: str
    place: Callable[[], None]
    """Places the carrier leg once the PIN is right (the offer that asked)."""
    digits: str = ""
    tries: int = 0
    stage: Stage = Stage.PIN


class CallPin:
    def __init__(self, ctx: CallContext, settings: VoicemailSettings | None) -> None:
        self._ctx = ctx
        self._settings = settings
        self._store: PortalStore | None = settings.portal if settings is not None else None
        prompts = settings.directory / "call-pin-prompts" if settings is not None else None
        self._prompts = SpokenPrompts(prompts) if prompts is not None else None
        self._asking: dict[str, _Asking] = {}

    def ask(self, call: Call, number: str, place: Callable[[], None]) -> bool:
        """The caller's own call to `number` needs its PIN: answered and asked, True; False when
        this PBX cannot ask (no media, no PIN store, not an extension's unanswered call): the
        caller is refused then."""
        ctx, settings = self._ctx, self._settings
        user = ctx.user(call, call.caller)
        if (
            settings is None
            or self._store is None
            or ctx.media is None
            or user is None
            or call.source is not cc.CallSource.EXTENSION
            or call.answered
            or call.call_id in self._asking
        ):
            return False
        box = settings.mailbox(call.tenant, call.caller)
        language = spoken_language(box.language if box is not None else "")
        self._asking[call.call_id] = _Asking(call.caller, number, language, place)
        ctx.bridging.answer(call)
        self._say(call, "enter_pin")
        return True

    def on_digit(self, call: Call, digit: str) -> bool:
        """A caller's digit: True when it belongs to a PIN (not reported onward)."""
        asking = self._asking.get(call.call_id)
        if asking is None:
            return False
        if asking.stage is Stage.GOODBYE:
            return True
        self._ctx.caller_media.stop_media(call)  # a digit cuts the prompt short
        if digit == "#":
            self._check(call, asking)
            return True
        if digit == "*":
            asking.digits = ""
        elif digit.isdigit() and len(asking.digits) < MAX_PIN_DIGITS:
            asking.digits += digit
        self._wait(call, PIN_SECONDS)
        return True

    def call_ended(self, call: Call) -> None:
        self._asking.pop(call.call_id, None)

    def _check(self, call: Call, asking: _Asking) -> None:
        assert self._store is not None  # `ask` took the call
        keyed, asking.digits = asking.digits, ""
        result = self._store.check_call_pin(call.tenant, asking.extension, keyed, asking.number)
        match result:
            case PinCheck.OK:
                log.info("call PIN of %s/%s accepted for %s", call.tenant, asking.extension,
                         asking.number)  # fmt: skip
                call.cancel_timer()
                del self._asking[call.call_id]
                asking.place()
            case PinCheck.WRONG:
                asking.tries += 1
                log.info("wrong call PIN from %s/%s for %s (%d in this call)", call.tenant,
                         asking.extension, asking.number, asking.tries)  # fmt: skip
                if asking.tries >= MAX_TRIES_PER_CALL:
                    self._goodbye(call, asking, "wrong_pin_goodbye")
                else:
                    self._say(call, "wrong_pin")
            case PinCheck.LOCKED:
                log.warning("call PIN of %s/%s is locked: call to %s refused", call.tenant,
                            asking.extension, asking.number)  # fmt: skip
                self._goodbye(call, asking, "locked")
            case _:
                assert_never(result)

    def _goodbye(self, call: Call, asking: _Asking, text: str) -> None:
        asking.stage = Stage.GOODBYE
        self._wait(call, self._say(call, text) / 1000.0)

    def _say(self, call: Call, text: str) -> int:
        """Plays `text` to the caller, the wait for the PIN restarting with it; its length in
        milliseconds (at least 1)."""
        ctx = self._ctx
        asking = self._asking[call.call_id]
        assert ctx.media is not None and self._prompts is not None
        path = self._prompts.path(TEXTS[asking.language][text], asking.language)
        ctx.caller_media.stop_media(call)
        duration_ms = 0
        try:
            duration_ms = ctx.media.play_media(call.call_id, call.caller_tag, str(path))
            call.playing = True
        except NgError:
            log.exception("call PIN: could not say %s", text)
        self._wait(call, duration_ms / 1000.0 + PIN_SECONDS)
        return max(duration_ms, 1)

    def _wait(self, call: Call, seconds: float) -> None:
        """The caller has `seconds` for the next digit, else the PBX hangs up."""
        call.cancel_timer()
        call.timer = Timeout(partial(self._ctx.guard, self._hang_up, call), seconds)

    def _hang_up(self, call: Call) -> None:
        call.timer = None
        if not call.ended:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX)

"""Automatic callback (camp on busy, seed ch. 7 AutomaticCallback): a user calls a colleague who
is busy; the PBX answers and offers "press 1 to be called back" (NL/EN by the caller's
language). On 1 it watches both: once the colleague and the caller are idle, it rings the caller
first (click-to-dial, `CALLBACK_ALERT_INFO` so the phone rings distinctively, its display showing
the colleague) and, when the caller answers, calls the colleague and connects them.

Offered only where the busy call would otherwise end in the busy treatment: the colleague has no
busy forwarding; the offer comes *before* voicemail (every provisioned user has a box), so any
other key, or none within `OFFER_SECONDS`, still leaves a message (the busy greeting), else the
call ends. A camp lasts `CAMP_SECONDS` (BroadWorks' default, 30 minutes); a caller holds at most
`MAX_CAMPS` of them, one per colleague (asking again renews it). Camps live in memory: a restart
forgets them, as it forgets redial (docs/phone-features.md, "Automatic callback").

Runs in the SIP thread: `offer` from `offers.py` (a busy user), `on_digit` from `hold.py`,
`call_ended` from `bridging.py`; the watching is a timer per camp (`CHECK_SECONDS`), since a
user's calls as a caller are not counted in `CallContext.in_use`.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.features.phrases import digits, spoken_language
from pbx_core.features.table import ServicesTable
from pbx_core.media.ng_client import NgError
from pbx_core.media.spoken import SpokenPrompts

if TYPE_CHECKING:
    from collections.abc import Callable

    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call

log = logging.getLogger(__name__)

FEATURE = "AutomaticCallback"
BUSY = "user-busy"
"""Forwarding's reason for a busy user: the voicemail box plays its busy greeting."""
CAMP_SECONDS = 30 * 60.0
OFFER_SECONDS = 8.0
"""How long the caller has to press 1 once the offer was said."""
CHECK_SECONDS = 2.0
MAX_CAMPS = 5
CANCEL_CODE = "#8"
"""BroadWorks' default deactivation code: the user's camps end (clear of speed dial's `#nn`)."""
CALLBACK_ALERT_INFO = "<http://127.0.0.1/Bellcore-dr4>"
"""The callback's ring (Alert-Info, RFC 3261 20.4, the Bellcore distinctive-ring names phones
know): the user can tell the PBX's callback from a colleague's call."""


def offer_text(colleague: str, language: str) -> str:
    at = digits(colleague)
    if language == "nl":
        return (
            f"Toestel {at} is in gesprek. Kies 1 om teruggebeld te worden zodra het vrij is, "
            "of blijf aan de lijn."
        )
    return (
        f"Extension {at} is busy. Press 1 to be called back when it is free, or stay on the line."
    )


def cancelled_text(count: int, language: str) -> str:
    if language == "nl":
        return f"Terugbelverzoeken geannuleerd: {count}."
    return f"Callback requests cancelled: {count}."


def not_included(profile: str, language: str) -> str:
    if language == "nl":
        return f"Automatisch terugbellen kan niet: uw profiel {profile} bevat het niet."
    return f"Automatic callback is refused: your {profile} profile does not include it."


def camped_text(colleague: str, language: str) -> str:
    at = digits(colleague)
    if language == "nl":
        return f"U wordt teruggebeld zodra toestel {at} vrij is. Tot ziens."
    return f"You will be called back when extension {at} is free. Goodbye."


@dataclass(eq=False)
class _Offer:
    colleague: str
    language: str
    camped: bool = False


@dataclass(eq=False)
class Camp:
    tenant: str
    caller: str
    colleague: str
    expires_at: float
    timer: Any = None
    """The check every `CHECK_SECONDS` (sippy's timer)."""


class AutomaticCallback:
    def __init__(
        self,
        ctx: CallContext,
        table: ServicesTable,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx = ctx
        self._table = table
        self._clock = clock
        self._spoken = SpokenPrompts(Path(ctx.prompt_path("spoken")).parent / "spoken")
        self._offers: dict[str, _Offer] = {}
        self.camps: dict[tuple[str, str, str], Camp] = {}
        """(tenant, caller, colleague) -> the camp waiting for both to be idle."""

    # -----------------------------------------------------------------------------------------
    # The offer

    def offer(self, call: Call, colleague: str) -> bool:
        """`call` found `colleague` busy: True when the PBX answered and offers the callback;
        False: the busy treatment as ever."""
        ctx = self._ctx
        caller = self._table.get(call.tenant, call.caller)
        if (
            ctx.media is None
            or call.source is not cc.CallSource.EXTENSION
            or call.answered
            or call.call_id in self._offers
            or colleague != call.called  # a forwarded hop's busy user is not whom they called
            or ctx.user(call, call.caller) is None
            or ctx.user(call, colleague) is None  # a busy carrier or a full trunk: not a user
            or FEATURE not in caller.features
            or self._table.get(call.tenant, colleague).forward_busy is not None
        ):
            return False
        language = spoken_language(caller.language)
        offering = _Offer(colleague, language)
        self._offers[call.call_id] = offering
        ctx.bridging.answer(call)
        self._say(call, offer_text(colleague, language), OFFER_SECONDS, self._declined)
        return True

    def on_digit(self, call: Call, digit: str) -> bool:
        """A caller's digit: True when it answered the offer (not reported onward)."""
        offering = self._offers.get(call.call_id)
        if offering is None:
            return False
        if offering.camped:
            return True
        self._ctx.caller_media.stop_media(call)
        if digit != "1":
            self._declined(call)
            return True
        offering.camped = True
        self._camp(call.tenant, call.caller, offering.colleague)
        text = camped_text(offering.colleague, offering.language)
        self._say(call, text, 0.0, self._goodbye)
        return True

    def call_ended(self, call: Call) -> None:
        self._offers.pop(call.call_id, None)

    def cancel_all(self, phone: Call) -> None:
        """`phone` (a user's unanswered call to `CANCEL_CODE`) ends the user's camps; the count
        is said in the user's language (a profile without the feature hears the refusal)."""
        user = self._table.get(phone.tenant, phone.caller)
        handling = self._ctx.call_handling
        if FEATURE not in user.features:
            handling.say_and_hang_up(phone, user, not_included(user.profile, user.language))
            return
        mine = [key for key in self.camps if key[:2] == (phone.tenant, phone.caller)]
        for key in mine:
            self.cancel(*key)
        handling.say_and_hang_up(phone, user, cancelled_text(len(mine), user.language))

    def _declined(self, call: Call) -> None:
        """The busy treatment without the callback: the colleague's voicemail (busy greeting),
        else the end of the call."""
        call.timer = None
        offering = self._offers.pop(call.call_id, None)
        if offering is None or call.ended:
            return
        if not self._ctx.voicemail.take(call, offering.colleague, BUSY):
            self._ctx.bridging.end_call(call, cc.HangupSide.CALLEE)

    def _goodbye(self, call: Call) -> None:
        call.timer = None
        if not call.ended:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX)

    def _say(
        self, call: Call, text: str, then_seconds: float, then: Callable[[Call], None]
    ) -> None:
        """Plays `text` to the caller; `then` runs `then_seconds` after it ends."""
        ctx = self._ctx
        assert ctx.media is not None  # `offer` checked
        duration_ms = 0
        try:
            path = self._spoken.path(text, self._offers[call.call_id].language)
            duration_ms = ctx.media.play_media(call.call_id, call.caller_tag, str(path))
            call.playing = True
            call.looping = ""  # replaces any loop; ends by itself
        except (OSError, NgError):
            log.exception("automatic callback: could not say %r", text)
        call.cancel_timer()
        seconds = duration_ms / 1000.0 + then_seconds
        call.timer = Timeout(partial(ctx.guard, then, call), max(seconds, 0.1))

    # -----------------------------------------------------------------------------------------
    # The camps

    def _camp(self, tenant: str, caller: str, colleague: str) -> None:
        key = (tenant, caller, colleague)
        if (old := self.camps.pop(key, None)) is not None and old.timer is not None:
            old.timer.cancel()
        mine = [k for k in self.camps if k[:2] == (tenant, caller)]
        for oldest in mine[: max(0, len(mine) - MAX_CAMPS + 1)]:
            self.cancel(*oldest)
        camp = Camp(tenant, caller, colleague, self._clock() + CAMP_SECONDS)
        camp.timer = Timeout(partial(self._ctx.guard, self._check, key), CHECK_SECONDS, -1)
        self.camps[key] = camp
        log.info("automatic callback: %s/%s waits for %s", tenant, caller, colleague)

    def cancel(self, tenant: str, caller: str, colleague: str) -> None:
        camp = self.camps.pop((tenant, caller, colleague), None)
        if camp is not None and camp.timer is not None:
            camp.timer.cancel()

    def _check(self, key: tuple[str, str, str]) -> None:
        camp = self.camps.get(key)
        if camp is None:
            return
        ctx = self._ctx
        if (
            self._clock() >= camp.expires_at
            or ctx.directories.user(camp.tenant, camp.caller) is None
        ):
            log.info("automatic callback of %s/%s to %s expired", *key)
            self.cancel(*key)
            return
        if self._busy(camp.tenant, camp.caller) or self._busy(camp.tenant, camp.colleague):
            return
        if ctx.locations.lookup(camp.tenant, camp.caller) is None:
            return  # the caller's phone is not registered: wait for it
        self.cancel(*key)
        call_id = f"callback-{uuid.uuid4().hex[:16]}"
        log.info("automatic callback %s: rings %s/%s for %s", call_id, *key)
        dial = cc.Dial(call_id, camp.caller, camp.colleague, tenant=camp.tenant,
                       alert_info=CALLBACK_ALERT_INFO)  # fmt: skip
        ctx.dial.start(dial, ctx.is_busy)

    def _busy(self, tenant: str, extension: str) -> bool:
        """On any call: ringing or talking as the one called, or calling someone."""
        if self._ctx.in_use(tenant, extension):
            return True
        return any(
            call.tenant == tenant and call.caller == extension and not call.ended
            for call in self._ctx.calls.values()
        )

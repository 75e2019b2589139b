"""The call handling the PBX does itself (issue 17.3): pickup, park and retrieve dialled as
feature codes, intercom (`*55<ext>`, intercom.py), barge-in pickup (`*33<ext>`, barge_in.py),
`*68` keyed during a call or given as a transfer target, and call waiting. Each is checked
against the user's profile (`Forwarding.features`) and its outcome is said to the user in their
language; pickup and park do the work (docs/phone-features.md, "Call handling").

Runs in the SIP thread; the rest of the B2BUA calls in at five places: a dialled code
(`takes`/`dial`, sip/calls/inbound.py), DTMF (`on_digits`, hold.py), a REFER (`on_refer`,
offers.py: attended transfer with Replaces, replaces.py, or park), a busy user (`waits`,
offers.py), and an INVITE with Replaces (`replace`, inbound.py)."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any, assert_never

from pbx_core import call_control as cc
from pbx_core.features import phrases
from pbx_core.features.call_handling_phrases import Outcome, said
from pbx_core.features.codes import CODES, Action, Dialled, parse_code
from pbx_core.features.diversion import Forwarding
from pbx_core.features.table import ServicesTable
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.sip.calls.barge_in import BargeIn
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.intercom import Intercom
from pbx_core.sip.calls.model import Call, Leg
from pbx_core.sip.calls.park import DEFAULT_PARK_TIMEOUT, CallPark, Refusal
from pbx_core.sip.calls.pickup import CallPickup
from pbx_core.sip.calls.replaces import AttendedTransfer

log = logging.getLogger(__name__)

PARK_CODE = next(entry.code for entry in CODES if entry.action is Action.CALL_PARK)
PARK_FEATURE = next(entry.feature for entry in CODES if entry.action is Action.CALL_PARK)
WAITING_FEATURE = "CallWaiting"

DIALLED = frozenset(
    {
        Action.CALL_PICKUP,
        Action.DIRECTED_PICKUP,
        Action.CALL_PARK,
        Action.CALL_PARK_RETRIEVE,
        Action.REDIAL,
        Action.CALL_RETURN,
        Action.INTERCOM,
        Action.BARGE_IN_PICKUP,
    }
)
"""The codes the PBX answers itself (every call-handling code of features/codes.py)."""


class CallHandling:
    def __init__(
        self, ctx: CallContext, table: ServicesTable, park_timeout: float = DEFAULT_PARK_TIMEOUT
    ) -> None:
        self._ctx = ctx
        self._table = table
        # The cache the application's feature-code answers use (prompts/spoken).
        self._spoken = SpokenPrompts(Path(ctx.prompt_path("spoken")).parent / "spoken")
        self.pickup = CallPickup(ctx)
        self.park = CallPark(ctx, park_timeout)
        self.attended = AttendedTransfer(ctx)
        self.intercom = Intercom(ctx)
        self.barge_in = BargeIn(ctx, table, self.pickup)
        self._last_dialled: dict[tuple[str, str], str] = {}
        """(tenant, extension) -> the number the user last called (`*66`)."""
        self._last_caller: dict[tuple[str, str], str] = {}
        """(tenant, extension) -> who last called the user (`*69`)."""

    # -----------------------------------------------------------------------------------------
    # A dialled code

    def takes(self, dialled: str) -> bool:
        parsed = parse_code(dialled)
        return isinstance(parsed, Dialled) and parsed.entry.action in DIALLED

    def dial(self, phone: Call) -> None:
        """`phone` (a user's call to a code `takes` accepted, not answered yet) does its code."""
        parsed = parse_code(phone.called)
        assert isinstance(parsed, Dialled)  # `takes` said so
        entry = parsed.entry
        user = self._table.get(phone.tenant, phone.caller)
        if entry.feature not in user.features:
            refusal = phrases.not_in_profile(entry.code, entry.feature, user.profile, user.language)
            self.say_and_hang_up(phone, user, refusal)
            return
        match entry.action:
            case Action.CALL_PICKUP | Action.DIRECTED_PICKUP:
                target = parsed.argument or None
                if not self.pickup.pick_up(phone, target):
                    text = said(Outcome.NOTHING_TO_PICK_UP, parsed.argument, user.language)
                    self.say_and_hang_up(phone, user, text)
            case Action.CALL_PARK_RETRIEVE:
                slot = parsed.argument or phone.caller
                if not self.park.retrieve(phone, slot):
                    self.say_and_hang_up(phone, user, said(Outcome.NOTHING_PARKED, slot,
                                                            user.language))  # fmt: skip
            case Action.CALL_PARK:
                text = said(Outcome.PARK_DURING_A_CALL, "", user.language)
                self.say_and_hang_up(phone, user, text)
            case Action.REDIAL | Action.CALL_RETURN:
                redial = entry.action is Action.REDIAL
                remembered = self._last_dialled if redial else self._last_caller
                number = remembered.get((phone.tenant, phone.caller))
                if number is None:
                    empty = Outcome.NOTHING_TO_REDIAL if redial else Outcome.NOBODY_TO_CALL_BACK
                    self.say_and_hang_up(phone, user, said(empty, "", user.language))
                    return
                phone.called = number  # a call to that number from here on
                self.dialled(phone, number)
                self._ctx.forwarding.ring(phone, number)
            case Action.INTERCOM:
                refused = self.intercom.refusal(phone, parsed.argument)
                if refused is not None:
                    self.say_and_hang_up(phone, user, said(refused, parsed.argument,
                                                            user.language))  # fmt: skip
                    return
                self.intercom.call(phone, parsed.argument)
            case Action.BARGE_IN_PICKUP:
                refused = self.barge_in.dial(phone, parsed.argument)
                if refused is not None:
                    self.say_and_hang_up(phone, user, said(refused, parsed.argument,
                                                            user.language))  # fmt: skip
            case _:
                raise AssertionError(f"{entry.action} is not in DIALLED")

    def say_and_hang_up(self, phone: Call, user: Forwarding, text: str) -> None:
        path = self._speak(text, user.language)
        if path is None or self._ctx.media is None:
            # Without speech the refusal is the SIP reply's reason phrase.
            self._ctx.bridging.end_call(phone, cc.HangupSide.PBX, code=404, reason=text)
            return
        self._ctx.caller_media.play(phone, path, False, then_hang_up=True)

    def _speak(self, text: str, language: str) -> str | None:
        try:
            return str(self._spoken.path(text, phrases.spoken_language(language)))
        except (OSError, subprocess.CalledProcessError) as error:
            log.error("could not speak %r: %s", text, error)
            return None

    def dialled(self, call: Call, number: str) -> None:
        """The user `call.caller` called `number` (a user or an outside number)."""
        self._last_dialled[(call.tenant, call.caller)] = number

    def rang(self, call: Call, extension: str) -> None:
        """`call` rings user `extension`: its caller is whom `*69` calls back (not a hidden
        number, which the user may not learn)."""
        if call.caller and call.caller.lstrip("+").isdigit():
            self._last_caller[(call.tenant, extension)] = call.caller

    def replace(self, phone: Call, replaces: str) -> None:
        """`phone` came with an INVITE with `Replaces`: it picks up the named ringing leg
        (DirectedCallPickup) or takes its own user's answered leg over; else 481 (RFC 3891)."""
        user = self._table.get(phone.tenant, phone.caller)
        may_pick_up = "DirectedCallPickup" in user.features
        if not self.attended.replace_by_invite(phone, replaces, may_pick_up):
            reason = "Call/Transaction Does Not Exist"
            self._ctx.bridging.end_call(phone, cc.HangupSide.PBX, code=481, reason=reason)

    # -----------------------------------------------------------------------------------------
    # During a call

    def on_digits(self, call: Call, leg: Leg | None, keyed: str) -> bool:
        """The last digits keyed on a call; True when they were `*68` from the bridged user,
        who parks the caller (or hears why not)."""
        if keyed != PARK_CODE or leg is None or leg is not call.bridged:
            return False
        user = self._table.get(leg.tenant, leg.extension)
        refusal = self._park_refusal(call, leg.extension, user)
        if refusal is None:
            self.park.park(call, leg)
            return True
        path = self._speak(refusal, user.language)
        if path is not None:
            self._ctx.caller_media.play_to_agent(call, path)
        return True

    def park_call(self, call: Call, slot: str) -> None:
        """`ParkCall`: the bridged user parks the caller in `slot` (their own when "")."""
        leg = call.bridged
        if leg is None:
            self._ctx.fail(call, "ParkCall", "no extension is bridged to the caller")
            return
        slot = slot or leg.extension
        if self._ctx.user(call, slot) is None:
            self._ctx.fail(call, "ParkCall", f"no user {slot} to park for")
            return
        user = self._table.get(leg.tenant, leg.extension)
        refusal = self._park_refusal(call, leg.extension, user, slot)
        if refusal is not None:
            self._ctx.fail(call, "ParkCall", refusal)
            return
        self.park.park(call, leg, slot)

    def on_refer(self, call: Call, transferor: str, referred: Any) -> bool:
        """A phone transferred the caller (REFER) to `referred` (its Refer-To); True when it was
        an attended transfer (`Replaces`), or `*68`: the caller is parked on the transferor's
        slot, or, refused, rings the transferor again (the phone has left the call already)."""
        if self.attended.transfer(call, transferor, referred):
            return True
        if str(referred.getUrl().username or "") != PARK_CODE:
            return False
        user = self._table.get(call.tenant, transferor)
        refusal = self._park_refusal(call, transferor, user)
        if refusal is None:
            self.park.hold_in_slot(call, transferor)
        else:
            log.info("call %s not parked by %s: %s", call.call_id, transferor, refusal)
            self.park.ring_back(call, transferor)
        return True

    def _park_refusal(
        self, call: Call, parker: str, user: Forwarding, slot: str = ""
    ) -> str | None:
        if PARK_FEATURE not in user.features:
            return phrases.not_in_profile(PARK_CODE, PARK_FEATURE, user.profile, user.language)
        refusal = self.park.refusal(call, slot or parker)
        match refusal:
            case None:
                return None
            case Refusal.SLOT_TAKEN:
                return said(Outcome.SLOT_TAKEN, slot or parker, user.language)
            case Refusal.NOT_HERE:
                return phrases.not_available(PARK_CODE, user.language)
            case _:
                assert_never(refusal)

    # -----------------------------------------------------------------------------------------
    # Call waiting

    def waits(self, tenant: str, extension: str, placed_by_pbx: bool) -> bool:
        """A call for `extension`, busy on a call, rings it anyway: its user has call waiting
        on and no call waiting yet. Offers of a call center (`placed_by_pbx` False) never wait:
        an agent on a call is not available to the queue."""
        user = self._table.get(tenant, extension)
        if not (placed_by_pbx and user.call_waiting and WAITING_FEATURE in user.features):
            return False
        limit = self._ctx.max_calls_per_extension
        return bool(limit) and self._ctx.in_use(tenant, extension) <= limit

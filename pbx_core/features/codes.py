"""Every feature access code a phone can dial, in one table: the contract's (BroadWorks defaults)
and the PBX's own ACD-state codes, each with the engineer's part that handles it.

A number starting with `*` never reaches an extension: the PBX routes it to the application
registered for `FEATURE_CODE_ROUTE`, which looks the code up here (`parse_code`). `*44` is the
exception: it is keyed *during* a call (DTMF, `sip/calls/hold.py`), or dialled before a number
(`*44<number>`), which the PBX itself strips and records (`sip/calls/inbound.py`). The
call-handling codes (Owner.CALL_HANDLING) the PBX answers itself too (`sip/calls/call_handling.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

FEATURE_CODE_ROUTE = "*"
"""The handler key (`PbxService.register_handler(..., numbers=[FEATURE_CODE_ROUTE])`) of every
call to a feature code."""

MAX_DIALLED = 32
"""Longer `*` numbers are refused as unknown before any parsing (a phone sends at most a code
and an E.164 number)."""


class Owner(StrEnum):
    """Who handles a code (docs/phone-features.md): this part or another engineer's."""

    FEATURES = "features"
    VOICEMAIL = "voicemail"
    CALL_HANDLING = "call-handling"
    TRUNKS = "trunks"
    RECORDING = "recording"
    CONFERENCE = "conference"
    HOTELING = "hoteling"
    MANAGER_ASSISTANT = "manager-assistant"


class Action(StrEnum):
    FORWARD_ALWAYS_ON = "forward_always_on"
    FORWARD_ALWAYS_OFF = "forward_always_off"
    FORWARD_BUSY_ON = "forward_busy_on"
    FORWARD_BUSY_OFF = "forward_busy_off"
    FORWARD_NO_ANSWER_ON = "forward_no_answer_on"
    FORWARD_NO_ANSWER_OFF = "forward_no_answer_off"
    FORWARD_NOT_REACHABLE_ON = "forward_not_reachable_on"
    FORWARD_NOT_REACHABLE_OFF = "forward_not_reachable_off"
    DO_NOT_DISTURB_ON = "do_not_disturb_on"
    DO_NOT_DISTURB_OFF = "do_not_disturb_off"
    DIVERSION_INHIBITOR = "diversion_inhibitor"
    ACD_SIGN_IN = "acd_sign_in"
    ACD_SIGN_OUT = "acd_sign_out"
    ACD_AVAILABLE = "acd_available"
    ACD_UNAVAILABLE = "acd_unavailable"
    ACD_WRAP_UP = "acd_wrap_up"
    VOICE_PORTAL = "voice_portal"
    CALL_PICKUP = "call_pickup"
    DIRECTED_PICKUP = "directed_pickup"
    CALL_PARK = "call_park"
    CALL_PARK_RETRIEVE = "call_park_retrieve"
    HIDE_CALLER_ID = "hide_caller_id"
    REDIAL = "redial"
    CALL_RETURN = "call_return"
    RECORD = "record"
    CONFERENCE = "conference"
    HOTELING_SIGN_IN = "hoteling_sign_in"
    HOTELING_SIGN_OUT = "hoteling_sign_out"
    FILTERING_TOGGLE = "filtering_toggle"
    ASSISTANT_OPT_TOGGLE = "assistant_opt_toggle"
    INTERCOM = "intercom"
    BARGE_IN_PICKUP = "barge_in_pickup"
    SPEED_DIAL_8 = "speed_dial_8"
    SPEED_DIAL_100 = "speed_dial_100"


class Argument(StrEnum):
    NONE = "none"
    """The code alone."""
    NUMBER = "number"
    """A number follows the code (a destination, an extension)."""
    OPTIONAL_CODE = "optional_code"
    """Digits may follow: an unavailable code, a park slot."""


@dataclass(frozen=True, slots=True)
class FeatureCode:
    code: str
    action: Action
    argument: Argument
    owner: Owner
    feature: str
    """The chapter-7 feature the user's profile needs ("" when every profile has it)."""
    description: str


CODES: tuple[FeatureCode, ...] = (
    FeatureCode("*72", Action.FORWARD_ALWAYS_ON, Argument.NUMBER, Owner.FEATURES,
                "CallForwardingAlways", "forward all calls to the number dialled after it"),
    FeatureCode("*73", Action.FORWARD_ALWAYS_OFF, Argument.NONE, Owner.FEATURES,
                "CallForwardingAlways", "forward all calls: off"),
    FeatureCode("*90", Action.FORWARD_BUSY_ON, Argument.NUMBER, Owner.FEATURES,
                "CallForwardingBusy", "forward when busy to the number dialled after it"),
    FeatureCode("*91", Action.FORWARD_BUSY_OFF, Argument.NONE, Owner.FEATURES,
                "CallForwardingBusy", "forward when busy: off"),
    FeatureCode("*92", Action.FORWARD_NO_ANSWER_ON, Argument.NUMBER, Owner.FEATURES,
                "CallForwardingNoAnswer", "forward when not answered to the number after it"),
    FeatureCode("*93", Action.FORWARD_NO_ANSWER_OFF, Argument.NONE, Owner.FEATURES,
                "CallForwardingNoAnswer", "forward when not answered: off"),
    FeatureCode("*94", Action.FORWARD_NOT_REACHABLE_ON, Argument.NUMBER, Owner.FEATURES,
                "CallForwardingNotReachable",
                "forward when the phone is not registered to the number after it"),
    FeatureCode("*95", Action.FORWARD_NOT_REACHABLE_OFF, Argument.NONE, Owner.FEATURES,
                "CallForwardingNotReachable", "forward when not reachable: off"),
    FeatureCode("*78", Action.DO_NOT_DISTURB_ON, Argument.NONE, Owner.FEATURES,
                "DoNotDisturb", "do not disturb: on (callers hear busy)"),
    FeatureCode("*79", Action.DO_NOT_DISTURB_OFF, Argument.NONE, Owner.FEATURES,
                "DoNotDisturb", "do not disturb: off"),
    FeatureCode("*80", Action.DIVERSION_INHIBITOR, Argument.NUMBER, Owner.FEATURES,
                "DiversionInhibitor", "call the number after it; its forwarding does not apply"),
    # ACD state (OpenCC's own: BroadWorks has no defaults for these; chosen clear of the
    # contract's codes and of BroadWorks' other defaults).
    FeatureCode("*50", Action.ACD_SIGN_IN, Argument.NONE, Owner.FEATURES,
                "CallCenterAgent", "call-center agent: sign in"),
    FeatureCode("*51", Action.ACD_SIGN_OUT, Argument.NONE, Owner.FEATURES,
                "CallCenterAgent", "call-center agent: sign out"),
    FeatureCode("*52", Action.ACD_AVAILABLE, Argument.NONE, Owner.FEATURES,
                "CallCenterAgent", "call-center agent: available"),
    FeatureCode("*53", Action.ACD_UNAVAILABLE, Argument.OPTIONAL_CODE, Owner.FEATURES,
                "CallCenterAgent", "call-center agent: unavailable, with the code after it"),
    FeatureCode("*54", Action.ACD_WRAP_UP, Argument.NONE, Owner.FEATURES,
                "CallCenterAgent", "call-center agent: wrap-up"),
    # Handled by the other parts of issue 17 (and 15, 16); listed here so codes never clash.
    FeatureCode("*62", Action.VOICE_PORTAL, Argument.NONE, Owner.VOICEMAIL,
                "VoiceMessagingUser", "voice portal (voicemail)"),
    FeatureCode("*98", Action.CALL_PICKUP, Argument.NONE, Owner.CALL_HANDLING,
                "CallPickup", "pick up a call ringing in the group"),
    FeatureCode("*97", Action.DIRECTED_PICKUP, Argument.NUMBER, Owner.CALL_HANDLING,
                "DirectedCallPickup", "pick up the call ringing at the extension after it"),
    FeatureCode("*68", Action.CALL_PARK, Argument.NONE, Owner.CALL_HANDLING,
                "CallPark", "during a call (DTMF), or as a transfer target: park the call"),
    FeatureCode("*88", Action.CALL_PARK_RETRIEVE, Argument.OPTIONAL_CODE, Owner.CALL_HANDLING,
                "CallPark", "retrieve the call parked on your extension, or on the one after it"),
    FeatureCode("*67", Action.HIDE_CALLER_ID, Argument.NUMBER, Owner.TRUNKS,
                "", "call the number after it without showing your number"),
    FeatureCode("*33", Action.BARGE_IN_PICKUP, Argument.NUMBER, Owner.CALL_HANDLING,
                "DirectedCallPickupwithBargein", "pick up the call ringing at the extension "
                "after it, or join its call in progress (three-way)"),
    # PushToTalk: OpenCC's own (BroadWorks' default *50 is the agent's sign-in here).
    FeatureCode("*55", Action.INTERCOM, Argument.NUMBER, Owner.CALL_HANDLING, "PushToTalk",
                "intercom: call the extension after it; its phone answers by itself"),
    FeatureCode("*66", Action.REDIAL, Argument.NONE, Owner.CALL_HANDLING,
                "LastNumberRedial", "call the last number dialled again"),
    FeatureCode("*69", Action.CALL_RETURN, Argument.NONE, Owner.CALL_HANDLING,
                "CallReturn", "call back the last caller"),
    FeatureCode("*44", Action.RECORD, Argument.NONE, Owner.RECORDING,
                "", "during a call (DTMF), or before a number: keep this call's recording"),
    FeatureCode("*31", Action.CONFERENCE, Argument.NONE, Owner.CONFERENCE,
                "ThreeWayCall", "during a call (DTMF): join your other calls into this one "
                "(three-way; N-way up to 15 others with NWayCall)"),
    # Hoteling (Flexplek, seed 3.2.1; OpenCC's own: the contract names none). Dialled on the
    # host phone; the PIN follows as DTMF (never in the dialled number, so never in a log).
    FeatureCode("*45", Action.HOTELING_SIGN_IN, Argument.NUMBER, Owner.HOTELING,
                "HotelingGuest", "sign in on this hoteling host as the extension after it "
                "(then the PIN and #)"),
    FeatureCode("*46", Action.HOTELING_SIGN_OUT, Argument.NONE, Owner.HOTELING,
                "HotelingGuest", "sign the guest out of this hoteling host"),
    # Manager/Assistant (seed 3.2.2; OpenCC's own, clear of the contract's codes). The manager
    # dials the code alone; an assistant adds the manager's extension (or not, with one manager).
    FeatureCode("*47", Action.FILTERING_TOGGLE, Argument.OPTIONAL_CODE, Owner.MANAGER_ASSISTANT,
                "", "manager/assistant: call filtering on/off (an assistant: then the "
                "manager's extension)"),
    FeatureCode("*48", Action.ASSISTANT_OPT_TOGGLE, Argument.OPTIONAL_CODE,
                Owner.MANAGER_ASSISTANT, "", "assistant: take the manager's filtered calls, or "
                "stop (then the manager's extension)"),
    # Speed dial (BroadWorks defaults): the slot, then the number (common/speed_dial.py).
    FeatureCode("*74", Action.SPEED_DIAL_8, Argument.NUMBER, Owner.FEATURES, "SpeedDial8",
                "store the number after the slot digit (2-9) under that slot"),
    FeatureCode("*75", Action.SPEED_DIAL_100, Argument.NUMBER, Owner.FEATURES, "SpeedDial100",
                "store the number after the two slot digits (00-99) under that slot"),
)  # fmt: skip

BY_CODE = {entry.code: entry for entry in CODES}
CONFERENCE_CODE = BY_CODE["*31"].code
"""Keyed during a call (DTMF, `sip/calls/conference_call.py`), not dialled."""
HOTELING_CODES = tuple(entry.code for entry in CODES if entry.owner is Owner.HOTELING)
VOICE_PORTAL_CODE = BY_CODE["*62"].code
_DIALLED = re.compile(r"(\*[0-9]{2})([0-9+]*)")
_NUMBER = re.compile(r"\+?[0-9]{2,15}")
_UNAVAILABLE_CODE = re.compile(r"[0-9]{0,8}")


@dataclass(frozen=True, slots=True)
class Dialled:
    """A known code and what followed it."""

    entry: FeatureCode
    argument: str


@dataclass(frozen=True, slots=True)
class UnknownCode:
    """Not a code of the table, or a code with a wrong argument; `spoken` names what was
    dialled (at most the code itself) for the refusal."""

    spoken: str


def is_feature_code(dialled: str) -> bool:
    return dialled.startswith("*")


def parse_code(dialled: str) -> Dialled | UnknownCode:
    match = _DIALLED.fullmatch(dialled) if len(dialled) <= MAX_DIALLED else None
    if match is None:
        return UnknownCode(dialled[:3] if dialled[1:3].isdigit() else "*")
    code, rest = match.groups()
    entry = BY_CODE.get(code)
    if entry is None:
        return UnknownCode(code)
    match entry.argument:
        case Argument.NONE:
            valid = rest == ""
        case Argument.NUMBER:
            valid = _NUMBER.fullmatch(rest) is not None
        case Argument.OPTIONAL_CODE:
            valid = _UNAVAILABLE_CODE.fullmatch(rest) is not None
        case _:
            assert_never(entry.argument)
    return Dialled(entry, rest) if valid else UnknownCode(code)


def split_inhibitor(dialled: str) -> tuple[str, bool]:
    """`*80<number>` -> (number, True): a call that no forwarding diverts; anything else as is."""
    code = BY_CODE["*80"].code
    rest = dialled.removeprefix(code)
    if rest != dialled and _NUMBER.fullmatch(rest):
        return rest, True
    return dialled, False

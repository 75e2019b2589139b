"""What a phone says after a feature code, in Dutch or English: pure functions of the outcome.
Numbers and codes are spoken digit by digit ("star 7 2", "1 0 0 2"), as people read them."""

from __future__ import annotations

from typing import assert_never

from common.speed_dial import SPEED_DIAL_8, SPEED_DIAL_100, split_programmed
from pbx_core.features.codes import Action

SPOKEN_LANGUAGES = ("nl", "en")

FEATURE_NAMES: dict[str, tuple[str, str]] = {
    "CallForwardingAlways": ("doorschakelen van alle gesprekken", "forwarding of all calls"),
    "CallForwardingBusy": ("doorschakelen bij bezet", "forwarding when busy"),
    "CallForwardingNoAnswer": ("doorschakelen bij geen antwoord", "forwarding when not answered"),
    "CallForwardingNotReachable": (
        "doorschakelen bij onbereikbaar",
        "forwarding when not reachable",
    ),
    "DoNotDisturb": ("niet storen", "do not disturb"),
    "DiversionInhibitor": ("doorschakelen voorkomen", "diversion inhibitor"),
    "CallCenterAgent": ("callcenter", "call center"),
    "ThreeWayCall": ("drierichtingsgesprek", "three-way call"),
    "CallPickup": ("gesprekken overnemen", "call pickup"),
    "DirectedCallPickup": ("gericht gesprekken overnemen", "directed call pickup"),
    "CallPark": ("gesprekken parkeren", "call park"),
    "PushToTalk": ("intercom", "intercom"),
    "DirectedCallPickupwithBargein": ("inbreken op gesprekken", "barge-in"),
    SPEED_DIAL_8: ("snelkeuze 8", "speed dial 8"),
    SPEED_DIAL_100: ("snelkeuze 100", "speed dial 100"),
}


def spoken_language(language: str) -> str:
    """The user's language when the PBX speaks it, else English."""
    return language if language in SPOKEN_LANGUAGES else "en"


def digits(number: str) -> str:
    return " ".join("plus" if c == "+" else c for c in number)


def _pick(language: str, dutch: str, english: str) -> str:
    return dutch if language == "nl" else english


def _code(code: str, language: str) -> str:
    return f"{_pick(language, 'ster', 'star')} {digits(code.lstrip('*'))}"


def _feature(feature: str, language: str) -> str:
    dutch, english = FEATURE_NAMES.get(feature, (feature, feature))
    return _pick(language, dutch, english)


def confirmation(action: Action, argument: str, language: str) -> str:
    """The change `action` made (with its number or code), said back to the user."""
    to = digits(argument)
    match action:
        case Action.FORWARD_ALWAYS_ON:
            return _pick(language, f"Alle gesprekken worden doorgeschakeld naar {to}.",
                         f"All calls are forwarded to {to}.")  # fmt: skip
        case Action.FORWARD_BUSY_ON:
            return _pick(language, f"Bij bezet wordt doorgeschakeld naar {to}.",
                         f"When busy, calls are forwarded to {to}.")  # fmt: skip
        case Action.FORWARD_NO_ANSWER_ON:
            return _pick(language, f"Bij geen antwoord wordt doorgeschakeld naar {to}.",
                         f"When not answered, calls are forwarded to {to}.")  # fmt: skip
        case Action.FORWARD_NOT_REACHABLE_ON:
            return _pick(language, f"Bij onbereikbaar wordt doorgeschakeld naar {to}.",
                         f"When not reachable, calls are forwarded to {to}.")  # fmt: skip
        case (
            Action.FORWARD_ALWAYS_OFF
            | Action.FORWARD_BUSY_OFF
            | Action.FORWARD_NO_ANSWER_OFF
            | Action.FORWARD_NOT_REACHABLE_OFF
        ):
            return _pick(language, "Doorschakelen staat uit.", "Forwarding is off.")
        case Action.DO_NOT_DISTURB_ON:
            return _pick(language, "Niet storen staat aan.", "Do not disturb is on.")
        case Action.DO_NOT_DISTURB_OFF:
            return _pick(language, "Niet storen staat uit.", "Do not disturb is off.")
        case Action.ACD_SIGN_IN:
            return _pick(language, "U bent aangemeld.", "You are signed in.")
        case Action.ACD_SIGN_OUT:
            return _pick(language, "U bent afgemeld.", "You are signed out.")
        case Action.ACD_AVAILABLE:
            return _pick(language, "U bent beschikbaar.", "You are available.")
        case Action.ACD_UNAVAILABLE:
            return _pick(language, "U bent niet beschikbaar.", "You are unavailable.")
        case Action.ACD_WRAP_UP:
            return _pick(language, "U bent in nabewerking.", "You are in wrap-up.")
        case Action.SPEED_DIAL_8 | Action.SPEED_DIAL_100:
            feature = SPEED_DIAL_8 if action is Action.SPEED_DIAL_8 else SPEED_DIAL_100
            slot, number = (digits(part) for part in split_programmed(feature, argument))
            return _pick(language, f"Snelkeuze {slot} belt {number}.",
                         f"Speed dial {slot} calls {number}.")  # fmt: skip
        case (
            Action.DIVERSION_INHIBITOR
            | Action.VOICE_PORTAL
            | Action.CALL_PICKUP
            | Action.DIRECTED_PICKUP
            | Action.CALL_PARK
            | Action.CALL_PARK_RETRIEVE
            | Action.HIDE_CALLER_ID
            | Action.REDIAL
            | Action.CALL_RETURN
            | Action.RECORD
            | Action.CONFERENCE
            | Action.HOTELING_SIGN_IN
            | Action.HOTELING_SIGN_OUT
            | Action.FILTERING_TOGGLE
            | Action.ASSISTANT_OPT_TOGGLE
            | Action.INTERCOM
            | Action.BARGE_IN_PICKUP
        ):
            return _pick(language, "Gelukt.", "Done.")
        case _:
            assert_never(action)


def unknown_code(code: str, language: str) -> str:
    return _pick(language, f"De code {_code(code, language)} bestaat niet.",
                 f"The code {_code(code, language)} does not exist.")  # fmt: skip


def not_in_profile(code: str, feature: str, profile: str, language: str) -> str:
    name = _feature(feature, language)
    return _pick(
        language,
        f"De code {_code(code, language)} kan niet: uw profiel {profile} bevat geen {name}.",
        f"The code {_code(code, language)} is refused: your {profile} profile does not "
        f"include {name}.",
    )


def not_available(code: str, language: str) -> str:
    return _pick(language, f"De code {_code(code, language)} is nog niet beschikbaar.",
                 f"The code {_code(code, language)} is not available yet.")  # fmt: skip


def failed(code: str, language: str) -> str:
    return _pick(language, f"De code {_code(code, language)} is niet gelukt.",
                 f"The code {_code(code, language)} did not succeed.")  # fmt: skip

"""What the PBX says around pickup and park, in Dutch or English: pure functions of the outcome
(refusals of a code the profile lacks are `phrases.not_in_profile`, shared with the other codes)."""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

from pbx_core.features.phrases import digits


class Outcome(StrEnum):
    NOTHING_TO_PICK_UP = "nothing_to_pick_up"
    PARKED = "parked"
    SLOT_TAKEN = "slot_taken"
    NOTHING_PARKED = "nothing_parked"
    PARK_DURING_A_CALL = "park_during_a_call"
    NOTHING_TO_REDIAL = "nothing_to_redial"
    NOBODY_TO_CALL_BACK = "nobody_to_call_back"
    NO_SUCH_EXTENSION = "no_such_extension"
    INTERCOM_REFUSED = "intercom_refused"
    NOTHING_TO_BARGE = "nothing_to_barge"
    BARGE_IN_EXEMPT = "barge_in_exempt"


def said(outcome: Outcome, slot: str, language: str) -> str:
    """The sentence for `outcome` (`slot`: the park slot, an extension, where it applies)."""
    nl = language == "nl"
    at = digits(slot)
    match outcome:
        case Outcome.NOTHING_TO_PICK_UP:
            if slot:
                return f"Toestel {at} gaat niet over." if nl else f"Extension {at} is not ringing."
            return "Er gaat geen toestel over." if nl else "No phone is ringing."
        case Outcome.PARKED:
            return f"Geparkeerd op {at}." if nl else f"Parked on {at}."
        case Outcome.SLOT_TAKEN:
            return (
                f"Op {at} staat al een gesprek geparkeerd."
                if nl
                else f"A call is parked on {at} already."
            )
        case Outcome.NOTHING_PARKED:
            return (
                f"Op {at} staat geen gesprek geparkeerd." if nl else f"No call is parked on {at}."
            )
        case Outcome.PARK_DURING_A_CALL:
            return (
                "Kies ster 6 8 tijdens een gesprek om het te parkeren."
                if nl
                else "Dial star 6 8 during a call to park it."
            )
        case Outcome.NOTHING_TO_REDIAL:
            return (
                "Er is geen nummer om opnieuw te kiezen." if nl else "There is no number to redial."
            )
        case Outcome.NOBODY_TO_CALL_BACK:
            return "Er is niemand om terug te bellen." if nl else "There is nobody to call back."
        case Outcome.NO_SUCH_EXTENSION:
            return f"Toestel {at} bestaat niet." if nl else f"There is no extension {at}."
        case Outcome.NOTHING_TO_BARGE:
            return (
                f"Toestel {at} gaat niet over en is niet in gesprek."
                if nl
                else f"Extension {at} is neither ringing nor in a call."
            )
        case Outcome.BARGE_IN_EXEMPT:
            return (
                f"Op het gesprek van {at} kan niemand inbreken."
                if nl
                else f"Nobody may barge in on the call of {at}."
            )
        case Outcome.INTERCOM_REFUSED:
            return (
                f"Toestel {at} neemt geen intercomgesprek van u aan."
                if nl
                else f"Extension {at} does not accept intercom calls from you."
            )
        case _:
            assert_never(outcome)

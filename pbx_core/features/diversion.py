"""Where a call to a user goes: the pure decision of forwarding, do-not-disturb and voicemail.

The PBX's call path asks `on_arrival` before it rings a user and `on_failure` when the user's
phone is busy, does not answer or is not registered. The order on a call the user does not
take is: the user's forwarding for that case if set, else voicemail when the voicemail part
says it has a box for the user, else the reply the caller got before forwarding existed (486 or
480). The call's history holds its caller and each user it was for; a destination already in it
(A -> B -> A, or back to the caller) or more than `MAX_DIVERSIONS` diversions stop the call with
a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from pbx_core.features.criteria import NO_SELECTIVE, PASSED, Screening, Selective

MAX_DIVERSIONS = 5
"""BroadWorks' default maximum of redirections per call is 5 as well."""
THREE_WAY_OTHERS = 2
"""ThreeWayCall: the user and two others (ch. 7)."""
N_WAY_OTHERS = 15
"""NWayCall: the user and up to 15 others (ch. 7)."""


class Failure(StrEnum):
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    NOT_REACHABLE = "not_reachable"


@dataclass(frozen=True, slots=True)
class Forwarding:
    """One user's call services as the PBX applies them (features the user's profile lacks are
    already cleared by the application)."""

    forward_always: str | None = None
    forward_busy: str | None = None
    forward_no_answer: str | None = None
    no_answer_seconds: float | None = None
    """None: the PBX's ring timeout."""
    forward_not_reachable: str | None = None
    do_not_disturb: bool = False
    may_inhibit: bool = False
    """The user may dial `*80<number>` (DiversionInhibitor): calls they make that way are not
    forwarded."""
    conference_others: int = 0
    """How many others the user may join into one call with `*31`: `THREE_WAY_OTHERS`,
    `N_WAY_OTHERS`, or 0 (neither feature)."""
    call_waiting: bool = True
    """A second call to the user while on a call rings the phone (it plays its waiting tone)
    instead of busy (sip/calls/call_waiting.py)."""
    features: frozenset[str] = frozenset()
    """The chapter-7 features of the user's profile: what the PBX's own feature codes (pickup,
    park) check."""
    profile: str = ""
    """The user's profile, named in a spoken refusal."""
    language: str = "en"
    """The user's language: what the PBX says to them after a pickup or park code."""
    selective: Selective = NO_SELECTIVE
    """Selective rejection, acceptance, forwarding and CallNotify (`criteria.py`)."""
    privacy: frozenset[str] | None = None
    """Privacy: None, off; else the colleagues (extensions) who may still find the user in the
    directory and watch their phone (BLF)."""

    def visible_to(self, extension: str | None, own: str) -> bool:
        """May `extension` (None: nobody's, e.g. an admin) see user `own`'s presence?"""
        return self.privacy is None or extension == own or extension in self.privacy


NO_SERVICES = Forwarding()


@dataclass(frozen=True, slots=True)
class Ring:
    """Ring the user (after `ring_seconds` without answer, `on_failure(NO_ANSWER)`)."""

    ring_seconds: float | None


@dataclass(frozen=True, slots=True)
class Divert:
    destination: str
    reason: str
    """RFC 5806 Diversion reason: `unconditional`, `user-busy`, `no-answer`, `unavailable`."""


@dataclass(frozen=True, slots=True)
class ToVoicemail:
    reason: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """End the call with this SIP reply (`reason` names why: do-not-disturb, a loop...)."""

    code: int
    reason: str


Decision = Ring | Divert | ToVoicemail | Refuse

LOOP = Refuse(482, "Loop Detected (forwarding)")
TOO_MANY = Refuse(483, "Too Many Hops (forwarding)")
DO_NOT_DISTURB = Refuse(486, "Busy Here (do not disturb)")


def on_arrival(
    services: Forwarding,
    history: tuple[str, ...],
    *,
    inhibited: bool,
    voicemail_available: bool,
    screening: Screening = PASSED,
) -> Decision:
    """A call reaches the user (`history`: the caller, then the users it was for, this one last;
    `screening`: what the user's selective services make of it). BroadWorks' order: selective
    rejection and acceptance, do-not-disturb, selective forwarding, forward always."""
    if screening.refused is not None:
        return Refuse(603, screening.refused)
    if services.do_not_disturb:
        return ToVoicemail("do-not-disturb") if voicemail_available else DO_NOT_DISTURB
    if screening.forward_to is not None and not inhibited:
        return _divert(screening.forward_to, "unconditional", history)
    if services.forward_always is not None and not inhibited:
        return _divert(services.forward_always, "unconditional", history)
    return Ring(services.no_answer_seconds if services.forward_no_answer else None)


def on_failure(
    services: Forwarding,
    failure: Failure,
    history: tuple[str, ...],
    *,
    inhibited: bool,
    voicemail_available: bool,
) -> Decision | None:
    """The user did not take the call; None: give the caller the reply it gets today."""
    match failure:
        case Failure.BUSY:
            destination, reason = services.forward_busy, "user-busy"
        case Failure.NO_ANSWER:
            destination, reason = services.forward_no_answer, "no-answer"
        case Failure.NOT_REACHABLE:
            destination, reason = services.forward_not_reachable, "unavailable"
        case _:
            assert_never(failure)
    if destination is not None and not inhibited:
        return _divert(destination, reason, history)
    if voicemail_available:
        return ToVoicemail(reason)
    return None


def _divert(destination: str, reason: str, history: tuple[str, ...]) -> Divert | Refuse:
    if destination in history:
        return LOOP
    if len(history) - 2 >= MAX_DIVERSIONS:  # the caller and the first user are no diversions
        return TOO_MANY
    return Divert(destination, reason)

"""The supervisor's control actions: checks that need no server, the API call, a clear sentence.

Every action goes through the CTI GraphQL API with the supervisor's token; the API checks that
the supervisor supervises the call center. Whatever is refused leaves everything unchanged, and
the sentence says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.priorities import MAX_PRIORITY, MIN_PRIORITY, is_priority
from supervisor_ui.api_client import ApiError, Outcome, SupervisorApi

AGENT_STATES = ("AVAILABLE", "UNAVAILABLE", "WRAP_UP", "SIGN_IN", "SIGN_OUT")
NIGHT_CHOICES = {"schedule": None, "on": True, "off": False}

UNCHANGED = "Nothing was changed."


@dataclass(frozen=True, slots=True)
class ActionInput:
    """What the control panel holds when a button is pressed."""

    call_id: str | None = None
    target_call_center: str | None = None
    priority: int | float | None = None
    position: int | float | None = None
    phone: str | None = None
    agent: str | None = None
    agent_state: str | None = None
    reason: str | None = None
    call_center: str | None = None
    night: str | None = None
    forward_to: str | None = None
    last_selected_call: str | None = None
    """The waiting call selected last; the list drops it when it stops waiting."""


@dataclass(frozen=True, slots=True)
class LiveIndex:
    """The little the panel knows about the board (pushed by the live loop), for messages."""

    waiting: Mapping[str, Mapping[str, Any]]
    """call id -> {"cc": call center id, "caller": number}"""
    agent_calls: Mapping[str, str]
    """agent extension -> the call id the agent is on"""
    centers: Mapping[str, Mapping[str, Any]]
    """call center id -> {"name", "tier"}"""

    @classmethod
    def of(cls, raw: Any) -> LiveIndex:
        raw = raw if isinstance(raw, dict) else {}
        return cls(
            waiting=raw.get("waiting") or {},
            agent_calls=raw.get("agent_calls") or {},
            centers=raw.get("centers") or {},
        )


def _fail(message: str, code: str = "INVALID") -> Outcome:
    return Outcome(False, message, code)


def _explain(error: ApiError, what: str) -> Outcome:
    code = error.code
    if code == "NOT_FOUND" and "waiting call" in error.message:
        text = (
            f"{what}: the call is no longer waiting (it was just answered or left the queue). "
            f"{UNCHANGED}"
        )
    elif code == "FORBIDDEN":
        text = f"{what}: refused, you do not supervise that call center. {UNCHANGED}"
    elif code == "UNAUTHENTICATED":
        text = f"{what}: your session has expired; sign in again. {UNCHANGED}"
    elif code == "REFUSED":
        text = f"{what}: the call center refused: {error.message}. {UNCHANGED}"
    else:
        text = f"{what}: {error.message}. {UNCHANGED}"
    return Outcome(False, text, code)


def _int(value: int | float | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number == value else None


async def perform(
    api: SupervisorApi, token: str, action: str, given: ActionInput, index: LiveIndex
) -> Outcome:
    """Runs one action; never raises for refusals (they become an unsuccessful Outcome)."""
    handler = _HANDLERS.get(action)
    if handler is None:
        return _fail(f"unknown action {action!r}")
    try:
        return await handler(api, token, given, index)
    except ApiError as error:
        return _explain(error, _TITLES.get(action, action))


def _waiting(given: ActionInput, index: LiveIndex) -> tuple[str, Mapping[str, Any]] | Outcome:
    if not given.call_id:
        last = given.last_selected_call
        if last and last not in index.waiting:
            return _fail(
                "The call you selected is no longer waiting (it was just answered or left the "
                f"queue). {UNCHANGED}",
                "NOT_WAITING",
            )
        return _fail("Select a waiting call first.")
    info = index.waiting.get(given.call_id)
    if info is None:
        return _fail(
            "That call is no longer waiting (it was just answered or left the queue). " + UNCHANGED,
            "NOT_WAITING",
        )
    return given.call_id, info


async def _move(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    found = _waiting(given, index)
    if isinstance(found, Outcome):
        return found
    call_id, info = found
    target = given.target_call_center
    if not target:
        return _fail("Choose the queue to move the call to.")
    if target == info.get("cc"):
        return _fail(f"The call is already in queue {target}. {UNCHANGED}")
    await api.move_call(token, call_id, target)
    return Outcome(True, f"Moving {info.get('caller', call_id)} from {info.get('cc')} to {target}.")


async def _promote(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    found = _waiting(given, index)
    if isinstance(found, Outcome):
        return found
    call_id, info = found
    priority = _int(given.priority)
    if priority is None or not is_priority(priority):
        return _fail(f"Priority must be a whole number from {MIN_PRIORITY} to {MAX_PRIORITY}.")
    await api.promote_call(token, call_id, priority)
    return Outcome(True, f"Priority of {info.get('caller', call_id)} set to {priority}.")


async def _reorder(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    found = _waiting(given, index)
    if isinstance(found, Outcome):
        return found
    call_id, info = found
    position = _int(given.position)
    if position is None or position < 1:
        return _fail("Position must be a whole number from 1.")
    await api.reorder_call(token, call_id, position)
    return Outcome(True, f"Moving {info.get('caller', call_id)} to position {position}.")


async def _retrieve(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex
) -> Outcome:
    found = _waiting(given, index)
    if isinstance(found, Outcome):
        return found
    call_id, info = found
    phone = (given.phone or "").strip()
    if not phone:
        return _fail("Enter your own phone's extension first (My phone).")
    await api.retrieve_call(token, call_id, phone)
    return Outcome(True, f"Retrieving {info.get('caller', call_id)} to your phone {phone}.")


def _premium(given: ActionInput, index: LiveIndex, feature: str) -> str | Outcome:
    if not given.call_center:
        return _fail("Choose a call center first.")
    center = index.centers.get(given.call_center)
    if center is not None and str(center.get("tier", "")).lower() != "premium":
        return _fail(
            f"{feature} is a Premium feature; {center.get('name')} ({given.call_center}) is "
            f"{center.get('tier')}. {UNCHANGED}",
            "TIER",
        )
    return given.call_center


async def _night(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    found = _premium(given, index, "Night service")
    if isinstance(found, Outcome):
        return found
    choice = given.night or "schedule"
    if choice not in NIGHT_CHOICES:
        return _fail("Choose schedule, on or off.")
    await api.set_night_service(token, found, NIGHT_CHOICES[choice])
    words = {"schedule": "follows its schedule", "on": "forced on", "off": "forced off"}
    return Outcome(True, f"Night service of {found}: {words[choice]}.")


async def _forward(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex, enabled: bool
) -> Outcome:
    found = _premium(given, index, "Forced forwarding")
    if isinstance(found, Outcome):
        return found
    destination = (given.forward_to or "").strip() or None
    if enabled and not destination:
        return _fail("Forced forwarding needs a destination number.")
    await api.set_forced_forwarding(token, found, enabled, destination if enabled else None)
    if enabled:
        return Outcome(True, f"Forced forwarding of {found} to {destination} is on.")
    return Outcome(True, f"Forced forwarding of {found} is off.")


async def _forward_on(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex
) -> Outcome:
    return await _forward(api, token, given, index, True)


async def _forward_off(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex
) -> Outcome:
    return await _forward(api, token, given, index, False)


async def _set_state(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex
) -> Outcome:
    if not given.agent:
        return _fail("Select an agent first.")
    state = given.agent_state
    if state not in AGENT_STATES:
        return _fail("Choose the state to set.")
    reason = (given.reason or "").strip() or None
    await api.set_agent_state(token, given.agent, state, reason)
    return Outcome(True, f"Agent {given.agent}: {state}{f' ({reason})' if reason else ''}.")


async def _sign_out(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex
) -> Outcome:
    if not given.agent:
        return _fail("Select an agent first.")
    await api.set_agent_state(token, given.agent, "SIGN_OUT", None)
    return Outcome(True, f"Signing out agent {given.agent}.")


async def _monitor(
    api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex, mode: str
) -> Outcome:
    if not given.agent:
        return _fail("Select an agent first.")
    call_id = index.agent_calls.get(given.agent)
    if call_id is None:
        return _fail(f"Agent {given.agent} is not on a call. {UNCHANGED}", "NO_CALL")
    phone = (given.phone or "").strip()
    if not phone:
        return _fail("Enter your own phone's extension first (My phone).")
    await api.monitor_call(token, call_id, phone, mode)
    verb = {"LISTEN": "Listening to", "BARGE": "Barging in on", "WHISPER": "Whispering to"}[mode]
    return Outcome(True, f"{verb} agent {given.agent}'s call from your phone {phone}.")


async def _listen(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    return await _monitor(api, token, given, index, "LISTEN")


async def _barge(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    return await _monitor(api, token, given, index, "BARGE")


async def _whisper(api: SupervisorApi, token: str, given: ActionInput, index: LiveIndex) -> Outcome:
    return await _monitor(api, token, given, index, "WHISPER")


_HANDLERS = {
    "move": _move,
    "promote": _promote,
    "reorder": _reorder,
    "retrieve": _retrieve,
    "night": _night,
    "forward-on": _forward_on,
    "forward-off": _forward_off,
    "set-state": _set_state,
    "sign-out": _sign_out,
    "monitor": _listen,
    "barge": _barge,
    "whisper": _whisper,
}
_TITLES = {
    "move": "Move",
    "promote": "Promote",
    "reorder": "Reorder",
    "retrieve": "Retrieve",
    "night": "Night service",
    "forward-on": "Forced forwarding",
    "forward-off": "Forced forwarding",
    "set-state": "Agent state",
    "sign-out": "Sign out agent",
    "monitor": "Silent monitoring",
    "barge": "Barge-in",
    "whisper": "Whisper",
}
ACTIONS = tuple(_HANDLERS)

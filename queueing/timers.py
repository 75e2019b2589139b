"""The engine's timer kinds and timer ids: what a `StartTimer` is for, and which call or agent it
belongs to ("<call id>/<kind>", "agent/<ext>/wrap_up").
"""

from __future__ import annotations

from enum import StrEnum


class TimerKind(StrEnum):
    MAX_WAIT = "max_wait"
    """Overflow after the call center's maximum wait."""
    COMFORT = "comfort"
    """The next comfort message is due."""
    RING = "ring"
    """An offer rang too long: the call bounces."""
    HOLD_ALERT = "hold_alert"
    """A call held too long: remind the agent."""
    HOLD_BOUNCE = "hold_bounce"
    """A call held much too long: back into the queue."""
    WRAP_UP = "wrap_up"
    """An agent's wrap-up time is over."""
    CALLBACK_RETRY = "callback_retry"
    """A callback waited its retry interval: it may be offered again."""


MAX_WAIT = TimerKind.MAX_WAIT
COMFORT = TimerKind.COMFORT
RING = TimerKind.RING
HOLD_ALERT = TimerKind.HOLD_ALERT
HOLD_BOUNCE = TimerKind.HOLD_BOUNCE
WRAP_UP = TimerKind.WRAP_UP
CALLBACK_RETRY = TimerKind.CALLBACK_RETRY
CALL_TIMERS = (MAX_WAIT, COMFORT, RING, CALLBACK_RETRY)


def timer_id(subject: str, kind: str) -> str:
    return f"{subject}/{kind}"


def agent_timer_id(extension: str) -> str:
    return f"agent/{extension}/{WRAP_UP}"

"""The range of a waiting call's priority (higher is served first), kept once: the engine refuses
anything outside it, and the API and the supervisor board check it before asking, so a value
they let through is never refused later for its range."""

from __future__ import annotations

MIN_PRIORITY = 0
MAX_PRIORITY = 9


def is_priority(value: int) -> bool:
    return MIN_PRIORITY <= value <= MAX_PRIORITY

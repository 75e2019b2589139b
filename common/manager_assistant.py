"""Manager/Assistant (seed 3.2.2 "Manager/Assistent"; BroadWorks' Executive-Assistant) as pure
rules: who may assist whom, and which calls to a manager are filtered to the assistants. Shared
by provisioning (which stores and checks it) and the PBX (which applies it on every call).

- A manager has 1..`MAX_ASSISTANTS` assistants, users of the *same tenant* (never the manager
  itself); an assistant may assist several managers. Each assistant opts in or out per manager
  (seed: "Een assistent kan ... zich aan te melden en af te melden"); only opted-in assistants
  get filtered calls.
- Filtering is on or off, with a mode as BroadWorks' Executive call filtering: `all` calls,
  `internal` (from users of the tenant), `external` (from outside), or `listed` (only callers
  whose number is in the manager's list). The manager's own assistants always reach the manager.
- The manager and its assistants switch filtering on and off (API, feature code); the mode and
  the list are the manager's (or the admin's).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

MAX_ASSISTANTS = 5
"""BroadWorks' Executive-Assistant allows up to 5 assistants per executive too."""
MAX_LISTED_NUMBERS = 20
NUMBER = re.compile(r"\+?[0-9]{2,15}")


class FilterMode(StrEnum):
    ALL = "all"
    INTERNAL = "internal"
    EXTERNAL = "external"
    LISTED = "listed"


@dataclass(frozen=True, slots=True)
class Assistant:
    extension: str
    opted_in: bool = True


@dataclass(frozen=True, slots=True)
class Manager:
    tenant: str
    extension: str
    filtering: bool = False
    mode: FilterMode = FilterMode.ALL
    numbers: tuple[str, ...] = ()
    """The callers `listed` filters."""
    assistants: tuple[Assistant, ...] = field(default_factory=tuple)


def check_assistants(manager: str, assistants: Sequence[str]) -> str | None:
    """Why a manager's list of assistants is refused, or None (who exists is the store's)."""
    if not assistants:
        return "at least one assistant"
    if len(assistants) > MAX_ASSISTANTS:
        return f"at most {MAX_ASSISTANTS} assistants"
    if manager in assistants:
        return "a manager cannot be its own assistant"
    if len(set(assistants)) != len(assistants):
        return "an assistant is listed twice"
    return None


def check_numbers(numbers: Sequence[str]) -> str | None:
    if len(numbers) > MAX_LISTED_NUMBERS:
        return f"at most {MAX_LISTED_NUMBERS} numbers"
    for number in numbers:
        if NUMBER.fullmatch(number) is None:
            return f"{number!r} is no number (2-15 digits, an optional leading +)"
    return None


def filtered(manager: Manager, caller: str, internal: bool) -> bool:
    """Whether a call from `caller` (a user of the tenant: `internal`) to the manager goes to
    the assistants (when any is opted in: `ring_assistants`)."""
    if not manager.filtering or caller in {a.extension for a in manager.assistants}:
        return False
    match manager.mode:
        case FilterMode.ALL:
            return True
        case FilterMode.INTERNAL:
            return internal
        case FilterMode.EXTERNAL:
            return not internal
        case FilterMode.LISTED:
            return _listed(caller, manager.numbers)
        case _:
            assert_never(manager.mode)


def _listed(caller: str, numbers: Sequence[str]) -> bool:
    """A listed number matches the caller as dialled or by its last 9 digits (a Dutch number
    written 06..., 316... or +316...)."""
    tail = caller.lstrip("+")[-9:]
    return any(n == caller or (len(tail) == 9 and n.lstrip("+").endswith(tail)) for n in numbers)


def ring_assistants(manager: Manager, caller: str, internal: bool) -> tuple[str, ...]:
    """The assistants a call to the manager rings at once instead of the manager (the first to
    answer takes it), or () (ring the manager): every opted-in one, in the manager's order."""
    if not filtered(manager, caller, internal):
        return ()
    return tuple(a.extension for a in manager.assistants if a.opted_in)

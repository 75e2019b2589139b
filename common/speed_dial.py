"""Speed dial (SpeedDial8, SpeedDial100, seed ch. 7): which short codes a user may store a number
under, and how a phone dials them. Shared by provisioning (which checks and stores a user's list)
and the PBX (which dials it).

The dialling rule, clear of every extension (2-8 digits) and of the `*` feature codes:
- SpeedDial8: the slots `2`..`9`; the phone dials the digit alone (`2`: a one-digit number is no
  extension) or with BroadWorks' `#` after it (`2#`).
- SpeedDial100: the slots `00`..`99`; the phone dials `#` and the two digits (`#07`, BroadWorks'
  default), `%23` in the Request-URI.
Programming by phone: `*74<slot><number>` (8) and `*75<slot><number>` (100).
"""

from __future__ import annotations

import re

SPEED_DIAL_8 = "SpeedDial8"
SPEED_DIAL_100 = "SpeedDial100"
_SLOT_8 = re.compile(r"[2-9]")
_SLOT_100 = re.compile(r"[0-9]{2}")
_DIALLED = re.compile(r"([2-9])#?|#([0-9]{2})")


def feature_of_slot(slot: str) -> str | None:
    """The chapter-7 feature a slot belongs to; None: no slot."""
    if _SLOT_8.fullmatch(slot):
        return SPEED_DIAL_8
    if _SLOT_100.fullmatch(slot):
        return SPEED_DIAL_100
    return None


def dialled_slot(dialled: str) -> str | None:
    """The slot a dialled number asks for (`2`, `2#` -> `2`; `#07` -> `07`); None: no speed dial."""
    match = _DIALLED.fullmatch(dialled)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def split_programmed(feature: str, argument: str) -> tuple[str, str]:
    """What followed `*74` / `*75`: (slot, number); the slot is one digit for SpeedDial8, two for
    SpeedDial100. The parts are checked where they are stored."""
    width = 1 if feature == SPEED_DIAL_8 else 2
    return argument[:width], argument[width:]

"""A user's speed dial list (SpeedDial8 slots `2`-`9`, SpeedDial100 slots `00`-`99`, the dialling
rule in `common/speed_dial.py`) as data, and the pure rules a change must satisfy.

A change is a JSON merge patch (RFC 7386) of slot -> number (null clears the slot), the same for
the admin API, the user's own API and the phone's `*74`/`*75`. Storing a number needs the slot's
feature in the user's profile; clearing one is always allowed (a profile may have been
downgraded since). What the PBX dials is the list without the slots the profile lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from common.speed_dial import feature_of_slot
from provisioning.call_centers import merge_patch
from provisioning.errors import Invalid
from provisioning.profiles import FEATURES, Profile
from provisioning.selective import DESTINATION

SpeedDials = dict[str, str]
"""slot -> number."""


def speed_dials_from_json(data: Any) -> SpeedDials:
    """Stored or patched JSON -> the list; a wrong slot or number is refused by name."""
    if not isinstance(data, Mapping):
        raise Invalid("speed_dial", "a JSON object of slot -> number")
    made: SpeedDials = {}
    for slot, number in data.items():
        if not isinstance(slot, str) or feature_of_slot(slot) is None:
            raise Invalid(str(slot)[:8], "no such slot: 2-9 (SpeedDial8) or 00-99 (SpeedDial100)")
        if not (isinstance(number, str) and DESTINATION.fullmatch(number)):
            raise Invalid(slot, "a number to dial: 2-15 digits, may start + (null clears it)")
        made[slot] = number
    return made


def changed_speed_dials(
    current: SpeedDials, patch: Any, profile: Profile, own_extension: str
) -> SpeedDials:
    """`current` with `patch` merged in, refused when it stores a number under a slot `profile`
    does not include, or the user's own extension."""
    if not isinstance(patch, Mapping):
        raise Invalid("speed_dial", "a JSON object of slot -> number (null clears the slot)")
    made = speed_dials_from_json(merge_patch(dict(current), dict(patch)))
    for slot, number in made.items():
        if current.get(slot) == number:
            continue
        feature = feature_of_slot(slot)
        if feature not in FEATURES[profile]:
            raise Invalid(slot, f"the {profile.value} profile does not include {feature}")
        if number == own_extension:
            raise Invalid(slot, "a user cannot speed-dial their own extension")
    return made


def dialled_list(speed_dials: SpeedDials, profile: Profile) -> SpeedDials:
    """The slots the PBX dials: those of the features `profile` includes."""
    return {s: n for s, n in speed_dials.items() if feature_of_slot(s) in FEATURES[profile]}

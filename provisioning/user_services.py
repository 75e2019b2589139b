"""A user's own call services (seed ch. 7): call forwarding always / busy / no answer / not
reachable, do-not-disturb, call waiting and privacy (selective services: `selective.py`) as
data, and the pure rules a change must satisfy.

The settings are kept in their API form (`as_json`); a change is a JSON merge patch (RFC 7386)
applied to them and validated as a whole, so the admin API, the user's own API and the phone's
feature codes all go through `changed_services`. Turning a service *on* needs the feature in the
user's profile; turning one off is always allowed (a profile may have been downgraded since).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from provisioning.call_centers import merge_patch
from provisioning.errors import Invalid
from provisioning.profiles import FEATURES, Profile
from provisioning.selective import (
    DESTINATION,
    NO_SELECTIVE_SETTINGS,
    SelectiveSettings,
    selective_from_json,
)

NO_ANSWER_SECONDS = range(5, 121)
DEFAULT_NO_ANSWER_SECONDS = 20
"""About four rings (a European ring cycle is 5 s): BroadWorks' default is three to four rings."""

FEATURE_OF_FIELD: Mapping[str, str] = {
    "forward_always": "CallForwardingAlways",
    "forward_busy": "CallForwardingBusy",
    "forward_no_answer": "CallForwardingNoAnswer",
    "forward_not_reachable": "CallForwardingNotReachable",
    "do_not_disturb": "DoNotDisturb",
    "call_waiting": "CallWaiting",
    "privacy": "Privacy",
}
"""The chapter-7 feature each setting needs to be switched on."""

BOOLEAN_FIELDS = frozenset({"do_not_disturb", "call_waiting", "privacy"})
MAX_PERMITTED = 50
EXTENSION = re.compile(r"[0-9]{2,8}")


@dataclass(frozen=True, slots=True)
class UserServices:
    """None for a forward: off; a destination: on."""

    forward_always: str | None = None
    forward_busy: str | None = None
    forward_no_answer: str | None = None
    no_answer_seconds: int = DEFAULT_NO_ANSWER_SECONDS
    forward_not_reachable: str | None = None
    do_not_disturb: bool = False
    call_waiting: bool = True
    """Every profile includes CallWaiting (chapter 7), so it is on unless the user turns it off."""
    privacy: bool = False
    """Privacy: left out of colleagues' directory search and busy lamp fields..."""
    privacy_permitted: tuple[str, ...] = ()
    """...except these colleagues' (extensions)."""
    selective: SelectiveSettings = NO_SELECTIVE_SETTINGS
    """Selective forwarding, rejection, acceptance and CallNotify (`provisioning/selective.py`):
    changed through `changed_selective` only, never by a merge patch."""

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "selective": self.selective.as_json()}

    def without_features_of(self, profile: Profile) -> UserServices:
        """What the PBX applies: the settings the profile still includes (a downgraded profile
        keeps its stored settings, but they do nothing until it is upgraded again)."""
        cleared: dict[str, Any] = {
            name: UserServices.__dataclass_fields__[name].default
            for name, feature in FEATURE_OF_FIELD.items()
            if feature not in FEATURES[profile]
        }
        return replace(self, selective=self.selective.without_features_of(profile), **cleared)


def services_from_json(data: Mapping[str, Any]) -> UserServices:
    """Stored or patched JSON -> settings; each wrong field is refused by name."""
    known = {f.name for f in fields(UserServices)}
    if unknown := sorted(set(data) - known):
        raise Invalid(unknown[0], f"no such service setting (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for name in FEATURE_OF_FIELD:
        if name not in data:
            continue
        value = data[name]
        if name in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                raise Invalid(name, "true or false")
        elif value is not None and not (isinstance(value, str) and DESTINATION.fullmatch(value)):
            raise Invalid(name, "null (off) or a number to forward to: 2-15 digits, may start +")
        values[name] = value
    if "no_answer_seconds" in data:
        seconds = data["no_answer_seconds"]
        if type(seconds) is not int or seconds not in NO_ANSWER_SECONDS:
            first, last = NO_ANSWER_SECONDS[0], NO_ANSWER_SECONDS[-1]
            raise Invalid("no_answer_seconds", f"whole seconds from {first} to {last}")
        values["no_answer_seconds"] = seconds
    if "privacy_permitted" in data:
        values["privacy_permitted"] = _extensions("privacy_permitted", data["privacy_permitted"])
    if "selective" in data:
        values["selective"] = selective_from_json(data["selective"])
    return UserServices(**values)


def _extensions(name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or len(value) > MAX_PERMITTED:
        raise Invalid(name, f"a list of at most {MAX_PERMITTED} extensions")
    for index, extension in enumerate(value):
        if not (isinstance(extension, str) and EXTENSION.fullmatch(extension)):
            raise Invalid(f"{name}[{index}]", "an extension: 2-8 digits")
    return tuple(value)


def changed_services(
    current: UserServices, patch: Mapping[str, Any], profile: Profile, own_extension: str
) -> UserServices:
    """`current` with `patch` merged in, refused when it switches on a service `profile` does
    not include or forwards the user to itself."""
    if not isinstance(patch, Mapping):
        raise Invalid("services", "a JSON object of settings to change")
    if "selective" in patch:
        raise Invalid("selective", "changed per service: services/selective/{kind}")
    made = services_from_json(merge_patch(current.as_json(), patch))
    for name, feature in FEATURE_OF_FIELD.items():
        value = getattr(made, name)
        switched_on = value not in (None, False) and value != getattr(current, name)
        if switched_on and feature not in FEATURES[profile]:
            raise Invalid(name, f"the {profile.value} profile does not include {feature}")
        if isinstance(value, str) and value == own_extension:
            raise Invalid(name, "a user cannot forward calls to their own extension")
    return made

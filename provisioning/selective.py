"""A user's selective services (seed ch. 7: CallForwardingSelective, SelectiveCallRejection,
SelectiveCallAcceptance, CallNotify) as data, and the pure rules a change must satisfy.

The four share one criteria model, as in BroadWorks: a list of rules, each with a name, an
active flag, optionally one of the tenant's weekly schedules and holiday calendars by name
(provisioning/schedules.py), and the callers it is for (up to 12 numbers, any private caller, any
caller without a number; none listed: every caller). Selective forwarding adds a number per rule
and a default number; CallNotify an e-mail address. A change replaces one service's settings
as a whole (`changed_selective`); the PBX's side is `pbx_core/features/criteria.py`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any, assert_never

from provisioning.errors import Invalid
from provisioning.profiles import FEATURES, Profile
from provisioning.voicemail_boxes import EMAIL_PATTERN

DESTINATION = re.compile(r"\+?[0-9]{2,15}")
"""An extension or call-center number (2-8 digits) or an outside number (up to 15 digits, E.164
with or without `+`): what a phone can dial (forwarding settings too, `user_services.py`)."""

MAX_RULES = 20
MAX_NUMBERS = 12
"""BroadWorks' limit of specific numbers in one criteria entry."""
RULE_NAME_MAX = 40


class SelectiveKind(StrEnum):
    FORWARDING = "forwarding"
    REJECTION = "rejection"
    ACCEPTANCE = "acceptance"
    NOTIFY = "notify"


FEATURE_OF_KIND: Mapping[SelectiveKind, str] = {
    SelectiveKind.FORWARDING: "CallForwardingSelective",
    SelectiveKind.REJECTION: "SelectiveCallRejection",
    SelectiveKind.ACCEPTANCE: "SelectiveCallAcceptance",
    SelectiveKind.NOTIFY: "CallNotify",
}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    active: bool = True
    numbers: tuple[str, ...] = ()
    any_private: bool = False
    any_unavailable: bool = False
    schedule: str | None = None
    """A weekly schedule of the tenant: the rule holds while it is open."""
    holidays: str | None = None
    """A holiday calendar of the tenant: the rule holds on its holidays."""
    forward_to: str | None = None
    """Selective forwarding only: where this rule's calls go (None: the default number)."""


@dataclass(frozen=True, slots=True)
class SelectiveService:
    rules: tuple[Rule, ...] = ()
    default_number: str | None = None
    """Selective forwarding only."""
    address: str | None = None
    """CallNotify only: where its mails go."""


@dataclass(frozen=True, slots=True)
class SelectiveSettings:
    forwarding: SelectiveService = SelectiveService()
    rejection: SelectiveService = SelectiveService()
    acceptance: SelectiveService = SelectiveService()
    notify: SelectiveService = SelectiveService()

    def of(self, kind: SelectiveKind) -> SelectiveService:
        service: SelectiveService = getattr(self, kind.value)
        return service

    def as_json(self) -> dict[str, Any]:
        return {kind.value: service_json(kind, self.of(kind)) for kind in SelectiveKind}

    def without_features_of(self, profile: Profile) -> SelectiveSettings:
        """What the PBX applies: the services `profile` includes."""
        cleared = {
            kind.value: SelectiveService()
            for kind, feature in FEATURE_OF_KIND.items()
            if feature not in FEATURES[profile]
        }
        return replace(self, **cleared)


def _fields_of(kind: SelectiveKind) -> tuple[frozenset[str], frozenset[str]]:
    """The service's own fields and its rules' fields."""
    rule = frozenset(f.name for f in fields(Rule)) - {"forward_to"}
    match kind:
        case SelectiveKind.FORWARDING:
            return frozenset({"rules", "default_number"}), rule | {"forward_to"}
        case SelectiveKind.NOTIFY:
            return frozenset({"rules", "address"}), rule
        case SelectiveKind.REJECTION | SelectiveKind.ACCEPTANCE:
            return frozenset({"rules"}), rule
        case _:
            assert_never(kind)


def service_json(kind: SelectiveKind, service: SelectiveService) -> dict[str, Any]:
    """The API's and the store's form: only the fields `kind` has."""
    own, rule_fields = _fields_of(kind)
    made = {name: value for name, value in asdict(service).items() if name in own}
    made["rules"] = [{k: v for k, v in rule.items() if k in rule_fields} for rule in made["rules"]]
    return made


def _known(where: str, data: object, known: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise Invalid(where or "body", "a JSON object")
    if unknown := sorted(set(data) - known):
        raise Invalid(f"{where}{unknown[0]}", f"no such field (known: {', '.join(sorted(known))})")
    return data


def _number(where: str, value: object) -> str:
    if not isinstance(value, str) or not DESTINATION.fullmatch(value):
        raise Invalid(where, "a number: 2-15 digits, may start with +")
    return value


def _optional_name(where: str, value: object) -> str | None:
    if value is not None and not (isinstance(value, str) and value):
        raise Invalid(where, "null or the name of one of the tenant's schedules")
    return value


def _flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(where, "true or false")
    return value


def _rule(where: str, data: object, known: frozenset[str]) -> Rule:
    rule = _known(where, data, known)
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > RULE_NAME_MAX:
        raise Invalid(f"{where}name", f"1-{RULE_NAME_MAX} characters")
    numbers = rule.get("numbers", [])
    if not isinstance(numbers, list | tuple) or len(numbers) > MAX_NUMBERS:
        raise Invalid(f"{where}numbers", f"a list of at most {MAX_NUMBERS} numbers")
    forward_to = rule.get("forward_to")
    return Rule(
        name=name,
        active=_flag(f"{where}active", rule.get("active", True)),
        numbers=tuple(_number(f"{where}numbers[{i}]", n) for i, n in enumerate(numbers)),
        any_private=_flag(f"{where}any_private", rule.get("any_private", False)),
        any_unavailable=_flag(f"{where}any_unavailable", rule.get("any_unavailable", False)),
        schedule=_optional_name(f"{where}schedule", rule.get("schedule")),
        holidays=_optional_name(f"{where}holidays", rule.get("holidays")),
        forward_to=None if forward_to is None else _number(f"{where}forward_to", forward_to),
    )


def service_from_json(kind: SelectiveKind, data: object) -> SelectiveService:
    """One service's JSON -> settings, each wrong field refused by its path (`rules[0].name`)."""
    own, rule_fields = _fields_of(kind)
    service = _known("", data, own)
    rules = service.get("rules", [])
    if not isinstance(rules, list | tuple) or len(rules) > MAX_RULES:
        raise Invalid("rules", f"a list of at most {MAX_RULES} rules")
    made = tuple(_rule(f"rules[{i}].", r, rule_fields) for i, r in enumerate(rules))
    names = [r.name for r in made]
    if len(set(names)) != len(names):
        raise Invalid("rules", "two rules of one service have the same name")
    default = service.get("default_number")
    address = service.get("address")
    if address is not None and not (isinstance(address, str) and EMAIL_PATTERN.match(address)):
        raise Invalid("address", "null or an e-mail address")
    return SelectiveService(
        made, None if default is None else _number("default_number", default), address
    )


def selective_from_json(data: Mapping[str, Any]) -> SelectiveSettings:
    """Stored JSON (`SelectiveSettings.as_json`) -> settings."""
    _known("selective.", data, frozenset(kind.value for kind in SelectiveKind))
    given = [kind for kind in SelectiveKind if kind.value in data]
    return SelectiveSettings(**{kind.value: service_from_json(kind, data[kind]) for kind in given})


def changed_selective(
    current: SelectiveSettings,
    kind: SelectiveKind,
    data: object,
    *,
    profile: Profile,
    own_extension: str,
    schedules: Collection[str],
    calendars: Collection[str],
) -> SelectiveSettings:
    """`current` with service `kind` replaced by `data`, refused when the profile lacks the
    service (rules given), a rule names a schedule the tenant does not have, or a call would
    be forwarded to the user's own extension or nowhere."""
    made = service_from_json(kind, data)
    feature = FEATURE_OF_KIND[kind]
    if made.rules and feature not in FEATURES[profile]:
        raise Invalid("rules", f"the {profile.value} profile does not include {feature}")
    if made.default_number == own_extension:
        raise Invalid("default_number", "a user cannot forward calls to their own extension")
    if kind is SelectiveKind.NOTIFY and made.rules and made.address is None:
        raise Invalid("address", "CallNotify with rules needs an address to mail")
    for index, rule in enumerate(made.rules):
        where = f"rules[{index}]."
        if rule.schedule is not None and rule.schedule not in schedules:
            raise Invalid(f"{where}schedule", f"the tenant has no weekly schedule {rule.schedule}")
        if rule.holidays is not None and rule.holidays not in calendars:
            raise Invalid(f"{where}holidays", f"the tenant has no holiday calendar {rule.holidays}")
        if rule.forward_to == own_extension:
            raise Invalid(f"{where}forward_to", "a user cannot forward to their own extension")
        if kind is SelectiveKind.FORWARDING and (rule.forward_to or made.default_number) is None:
            raise Invalid(f"{where}forward_to", "a number, or the service's default_number")
    return replace(current, **{kind.value: made})


NO_SELECTIVE_SETTINGS = SelectiveSettings()

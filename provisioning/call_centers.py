"""Call-center settings as the admin API takes them, into the engine's `CallCenterConfig`.

The API form is the engine's own (docs/queue-engine.md names every setting) with three changes
that suit people: `number` for `id`, `agents` for `members` (an extension alone, or a member
object with weight and skill level), the tier by name (`basic`, `standard`, `premium`); and in
`night_service`, `schedule` and `holidays` may name one of the tenant's schedules or calendars.
Validation is the engine's: the config is built (`CallCenterConfig`), then the tenant's whole
`TenantConfig`, which checks every member is an agent with a licence of the call center's tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from provisioning.engine_config import build, dump
from provisioning.errors import Invalid
from provisioning.users import Tier
from queueing.config import AgentConfig, CallCenterConfig, Member, TenantConfig
from queueing.config import Tier as EngineTier
from queueing.errors import ConfigError

RENAMED = {"id": "number", "members": "agents"}


def engine_tier(tier: Tier) -> EngineTier:
    return EngineTier[tier.name]


def _tier(value: Any) -> int:
    try:
        return int(engine_tier(Tier(value)))
    except ValueError:
        raise Invalid("tier", "one of basic, standard, premium") from None


def _member(value: Any) -> Any:
    return {"extension": value} if isinstance(value, str) else value


def _named(value: Any, named: Mapping[str, Mapping[str, Any]], field: str) -> Any:
    if not isinstance(value, str):
        return value
    if value not in named:
        raise Invalid(f"night_service.{field}", f"the tenant has no {field} named {value!r}")
    return dict(named[value])


def engine_form(
    settings: Mapping[str, Any],
    schedules: Mapping[str, Mapping[str, Any]],
    calendars: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """The API form of `settings` in the engine's JSON form (see the module docstring)."""
    for engine_name, api_name in RENAMED.items():
        if engine_name in settings:
            raise Invalid(engine_name, f"give it as {api_name!r}")
    form = {k: v for k, v in settings.items() if k not in ("number", "agents", "tier")}
    form["id"] = settings.get("number")
    form["tier"] = _tier(settings.get("tier"))
    agents = settings.get("agents", [])
    if not isinstance(agents, list):
        raise Invalid("agents", "a list of extensions or member objects")
    form["members"] = [_member(a) for a in agents]
    night = settings.get("night_service")
    if isinstance(night, Mapping):
        form["night_service"] = {
            **night,
            "schedule": _named(night.get("schedule"), schedules, "schedule"),
            "holidays": _named(night.get("holidays"), calendars, "holidays"),
        }
    return form


def api_form(config: CallCenterConfig) -> dict[str, Any]:
    """`config` in the API form (the inverse of `engine_form`): how code that holds engine
    configs, like the demo company's, creates call centers through the service."""
    engine = dump(CallCenterConfig, config)
    form = {k: v for k, v in engine.items() if k not in ("id", "members", "tier")}
    form["number"] = config.id
    form["tier"] = Tier[EngineTier(config.tier).name].value
    form["agents"] = [
        m.extension if m == Member(m.extension) else member
        for m, member in zip(config.members, engine["members"], strict=True)
    ]
    return form


def call_center_config(
    settings: Mapping[str, Any],
    schedules: Mapping[str, Mapping[str, Any]],
    calendars: Mapping[str, Mapping[str, Any]],
) -> CallCenterConfig:
    try:
        return build(CallCenterConfig, engine_form(settings, schedules, calendars))
    except Invalid as error:
        # Name the fields as the admin wrote them, not as the engine calls them.
        for engine_name, api_name in RENAMED.items():
            if error.field.startswith(engine_name):
                raise Invalid(api_name + error.field[len(engine_name) :], error.reason) from None
        raise


@dataclass(frozen=True, slots=True)
class Agent:
    """A user holding a call-center licence: who may be a member, and of which tiers."""

    extension: str
    name: str
    licence: Tier


def tenant_config(
    tenant: str, call_centers: Iterable[CallCenterConfig], agents: Iterable[Agent]
) -> TenantConfig:
    """The whole tenant as the engine runs it; refuses members without a fitting licence."""
    try:
        return TenantConfig(
            tenant=tenant,
            call_centers=tuple(call_centers),
            agents=tuple(AgentConfig(a.extension, a.name, engine_tier(a.licence)) for a in agents),
        )
    except ConfigError as error:
        field = "agents" if error.field.endswith(".members") else error.field
        raise Invalid(field, error.message) from None


def merge_patch(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged

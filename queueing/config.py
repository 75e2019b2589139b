"""Call-center configuration and its tier rules (call-center.md, "Tiers").

A configuration is validated when it is built: a feature above the call center's tier, a waiter
limit above the tier maximum, or an out-of-range timer raises a `ConfigError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from common.number_categories import MAX_EXTERNAL_CALLS
from queueing.errors import ConfigError, TierError
from queueing.schedule import HolidayCalendar, WeeklySchedule


class Tier(IntEnum):
    """Call-center tiers, ordered so that a higher tier includes the lower ones."""

    BASIC = 1
    STANDARD = 2
    PREMIUM = 3


TIER_MAX_WAITERS = {Tier.BASIC: 25, Tier.STANDARD: 50, Tier.PREMIUM: 525}


class RoutingPolicy(StrEnum):
    CIRCULAR = "circular"
    """Hunt in list order, starting after the agent who was offered the previous call."""
    REGULAR = "regular"
    """Hunt in list order, always from the top."""
    SIMULTANEOUS = "simultaneous"
    """Ring every available agent at once; the first to answer gets the call."""
    UNIFORM = "uniform"
    """The agent idle the longest (since the end of their last call) first."""
    WEIGHTED = "weighted"
    """A random agent, with probability proportional to its weight (seeded)."""
    SKILL_BASED = "skill_based"
    """The most skilled agent (lowest skill level) first, then the one idle the longest."""


POLICY_MIN_TIER = {
    RoutingPolicy.CIRCULAR: Tier.BASIC,
    RoutingPolicy.REGULAR: Tier.BASIC,
    RoutingPolicy.SIMULTANEOUS: Tier.BASIC,
    RoutingPolicy.UNIFORM: Tier.BASIC,
    RoutingPolicy.WEIGHTED: Tier.STANDARD,
    RoutingPolicy.SKILL_BASED: Tier.PREMIUM,
}


class Action(StrEnum):
    """What a treatment does with a call (overflow, stranded, night, holiday, forced)."""

    NONE = "none"
    """Stay queued (stranded only)."""
    BUSY = "busy"
    TRANSFER = "transfer"
    RINGING = "ringing"
    """Keep ringing until the caller hangs up."""
    NIGHT_SERVICE = "night_service"
    """Apply the night-service treatment (stranded only)."""
    ANNOUNCEMENT = "announcement"
    """Play an announcement in a loop until the caller hangs up (stranded only)."""


class EstimatedWait(StrEnum):
    OFF = "off"
    POSITION = "position"
    TIME = "time"


@dataclass(frozen=True, slots=True)
class Treatment:
    action: Action = Action.BUSY
    destination: str | None = None
    announcement: str | None = None
    """Prompt played before the action (or looped, for ANNOUNCEMENT)."""

    def validate(self, where: str, allowed: frozenset[Action]) -> None:
        if self.action not in allowed:
            names = ", ".join(sorted(a.value for a in allowed))
            raise ConfigError(where, f"action {self.action.value} is not one of {names}")
        if self.action is Action.TRANSFER and not self.destination:
            raise ConfigError(where, "transfer needs a destination")
        if self.action is Action.ANNOUNCEMENT and not self.announcement:
            raise ConfigError(where, "a looped announcement needs an announcement prompt")


ARRIVAL_ACTIONS = frozenset({Action.BUSY, Action.TRANSFER, Action.RINGING})
DIVERT_ACTIONS = frozenset({Action.BUSY, Action.TRANSFER})
STRANDED_ACTIONS = frozenset(Action)


@dataclass(frozen=True, slots=True)
class OverflowPolicy:
    on_full: Treatment = Treatment(Action.BUSY)
    max_wait_seconds: int | None = None
    """Overflow a call that has waited this long (0-7200 s); None: never."""
    on_max_wait: Treatment = Treatment(Action.BUSY)


@dataclass(frozen=True, slots=True)
class BouncePolicy:
    ring_seconds: int = 20
    """Bounce an offered call the agent has not answered within this many seconds."""
    on_agent_unavailable: bool = True
    """Bounce when the agent becomes unavailable while the call rings."""
    make_agent_unavailable: bool = False
    unavailable_code: str = "bounced"
    hold_alert_seconds: int | None = None
    hold_bounce_seconds: int | None = None


BASIC_RING_SECONDS = 20
"""Basic call centers cannot configure bouncing; like a hunt group they move on after 20 s."""


@dataclass(frozen=True, slots=True)
class StrandedPolicy:
    all_signed_out: Treatment = Treatment(Action.NONE)
    all_unavailable: Treatment = Treatment(Action.NONE)


@dataclass(frozen=True, slots=True)
class NightService:
    """Night (outside business hours) and holiday treatment; Premium."""

    schedule: WeeklySchedule | None = None
    night_treatment: Treatment = Treatment(Action.BUSY)
    holidays: HolidayCalendar | None = None
    holiday_treatment: Treatment = Treatment(Action.BUSY)
    initial_override: bool | None = None
    """Where the supervisor switch starts: None follows the schedule, False keeps it off."""


@dataclass(frozen=True, slots=True)
class ForcedForwarding:
    destination: str
    announcement: str | None = None
    enabled: bool = False


@dataclass(frozen=True, slots=True)
class ComfortBypass:
    threshold_seconds: int
    """Play `message` instead of the comfort message when the expected wait is shorter (1-120)."""
    message: str = "comfort_short"


@dataclass(frozen=True, slots=True)
class Media:
    entrance_message: str | None = "welcome"
    entrance_mandatory: bool = False
    estimated_wait: EstimatedWait = EstimatedWait.OFF
    music_on_hold: str | None = "moh"
    comfort_message: str | None = "comfort"
    comfort_interval_seconds: int = 30
    comfort_bypass: ComfortBypass | None = None
    whisper_message: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """Callback that keeps the place (docs/callback.md): a waiting caller presses `digit`, gives
    a number and hangs up; the call keeps its place and is called back in its turn."""

    offer_above_seconds: int = 60
    """Announce the callback offer when the estimated wait is longer than this (0-3600)."""
    digit: str = "1"
    attempts: int = 3
    """Calls to the customer before the callback is given up (1-10)."""
    retry_seconds: int = 120
    """Wait between a failed attempt and the next (10-3600)."""
    offer_prompt: str = "callback_offer"
    menu_prompt: str = "callback_menu"
    """"Press 1 for your own number, or enter a number followed by #"."""
    confirm_prompt: str = "callback_confirm"
    intro_prompt: str = "callback_intro"
    """What the customer hears on answering, before the agent is connected."""


@dataclass(frozen=True, slots=True)
class Member:
    """An agent's place in one call center's agent list."""

    extension: str
    weight: int = 1
    skill_level: int = 1
    """1 (most skilled) to 20, for skill-based routing."""
    joined: bool = True
    """Whether the agent starts joined (taking calls when available) or only assigned."""


@dataclass(frozen=True, slots=True)
class AgentConfig:
    extension: str
    name: str = ""
    licence: Tier = Tier.PREMIUM


class AgentNextState(StrEnum):
    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class CallCenterConfig:
    id: str
    """The call center's dialled number, also its id (e.g. "7001")."""
    name: str
    tier: Tier
    max_waiters: int | None = None
    routing: RoutingPolicy = RoutingPolicy.CIRCULAR
    members: tuple[Member, ...] = ()
    media: Media = Media()
    overflow: OverflowPolicy = OverflowPolicy()
    bounce: BouncePolicy | None = None
    stranded: StrandedPolicy = StrandedPolicy()
    night_service: NightService | None = None
    forced_forwarding: ForcedForwarding | None = None
    automatic_answer: bool = False
    wrap_up_seconds: int | None = None
    wrap_up_next_state: AgentNextState = AgentNextState.AVAILABLE
    escape_digit: str | None = None
    escape_destination: str | None = None
    disposition_codes: frozenset[str] = frozenset()
    service_level_seconds: int = 20
    callback: CallbackPolicy | None = None
    """Callback that keeps the place; None: not offered."""
    max_external_calls: int | None = None
    """Call capacity (BroadWorks Call Capacity Management): calls from outside (the carrier) the
    call center holds at once, waiting or talking; one more overflows busy on arrival. None: no
    limit of its own (the tenant's still applies, in the PBX)."""

    def __post_init__(self) -> None:
        validate_call_center(self)

    @property
    def waiter_limit(self) -> int:
        return self.max_waiters if self.max_waiters is not None else TIER_MAX_WAITERS[self.tier]

    @property
    def ring_seconds(self) -> int:
        return self.bounce.ring_seconds if self.bounce else BASIC_RING_SECONDS


def _require(config: CallCenterConfig, feature: str, needed: Tier) -> None:
    if config.tier < needed:
        raise TierError(feature, config.tier.name, needed.name)


def _range(field_name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise ConfigError(field_name, f"{value} is outside {low}..{high}")


def validate_call_center(c: CallCenterConfig) -> None:
    if not c.id or not c.id.isdigit():
        raise ConfigError("id", f"call center id must be its dialled number, got {c.id!r}")
    maximum = TIER_MAX_WAITERS[c.tier]
    if c.max_waiters is not None and not 1 <= c.max_waiters <= maximum:
        raise ConfigError(
            "max_waiters", f"{c.max_waiters} is outside 1..{maximum} of the {c.tier.name} tier"
        )
    _require(c, f"routing policy {c.routing.value}", POLICY_MIN_TIER[c.routing])
    extensions = [m.extension for m in c.members]
    if len(set(extensions)) != len(extensions):
        raise ConfigError("members", "an agent is listed twice")
    for m in c.members:
        _range(f"members[{m.extension}].weight", m.weight, 1, 100)
        _range(f"members[{m.extension}].skill_level", m.skill_level, 1, 20)
    _range("media.comfort_interval_seconds", c.media.comfort_interval_seconds, 10, 600)
    _range("overflow.max_wait_seconds", c.overflow.max_wait_seconds, 0, 7200)
    _range("service_level_seconds", c.service_level_seconds, 1, 3600)
    _range("wrap_up_seconds", c.wrap_up_seconds, 1, 3600)
    _range("max_external_calls", c.max_external_calls, 0, MAX_EXTERNAL_CALLS)
    c.overflow.on_max_wait.validate("overflow.on_max_wait", ARRIVAL_ACTIONS)
    c.overflow.on_full.validate("overflow.on_full", ARRIVAL_ACTIONS)
    if c.overflow.on_full != Treatment(Action.BUSY):
        _require(c, "overflow on queue full", Tier.STANDARD)
    if c.bounce is not None:
        _require(c, "bounced calls", Tier.STANDARD)
        _range("bounce.ring_seconds", c.bounce.ring_seconds, 1, 600)
        _range("bounce.hold_alert_seconds", c.bounce.hold_alert_seconds, 1, 3600)
        _range("bounce.hold_bounce_seconds", c.bounce.hold_bounce_seconds, 1, 3600)
    if c.stranded != StrandedPolicy():
        _require(c, "stranded calls", Tier.STANDARD)
        c.stranded.all_signed_out.validate("stranded.all_signed_out", STRANDED_ACTIONS)
        c.stranded.all_unavailable.validate("stranded.all_unavailable", STRANDED_ACTIONS)
        uses_night = Action.NIGHT_SERVICE in (
            c.stranded.all_signed_out.action,
            c.stranded.all_unavailable.action,
        )
        if uses_night and c.night_service is None:
            raise ConfigError("stranded", "night_service action without a night service")
    if c.night_service is not None:
        _require(c, "night service", Tier.PREMIUM)
        c.night_service.night_treatment.validate("night_service.night_treatment", DIVERT_ACTIONS)
        c.night_service.holiday_treatment.validate(
            "night_service.holiday_treatment", DIVERT_ACTIONS
        )
        if c.night_service.holidays is not None:
            _require(c, "holiday schedule", Tier.PREMIUM)
    if c.forced_forwarding is not None:
        _require(c, "forced forwarding", Tier.PREMIUM)
        if not c.forced_forwarding.destination:
            raise ConfigError("forced_forwarding.destination", "forced forwarding needs a number")
    if c.automatic_answer:
        _require(c, "automatic answer", Tier.PREMIUM)
    if c.media.comfort_bypass is not None:
        _require(c, "comfort-message bypass", Tier.PREMIUM)
        _range(
            "media.comfort_bypass.threshold_seconds",
            c.media.comfort_bypass.threshold_seconds,
            1,
            120,
        )
    if c.media.entrance_mandatory and not c.media.entrance_message:
        raise ConfigError("media.entrance_mandatory", "a mandatory entrance message needs a prompt")
    if c.escape_digit is not None:
        if c.escape_digit not in set("0123456789*#"):
            raise ConfigError("escape_digit", f"{c.escape_digit!r} is not a DTMF digit")
        if not c.escape_destination:
            raise ConfigError("escape_destination", "an escape digit needs a destination")
    if c.callback is not None:
        _validate_callback(c.callback, c.escape_digit)


def _validate_callback(policy: CallbackPolicy, escape_digit: str | None) -> None:
    if policy.digit not in set("0123456789*"):
        raise ConfigError("callback.digit", f"{policy.digit!r} is not a DTMF digit other than #")
    if policy.digit == escape_digit:
        raise ConfigError("callback.digit", "the callback digit is also the escape digit")
    _range("callback.offer_above_seconds", policy.offer_above_seconds, 0, 3600)
    _range("callback.attempts", policy.attempts, 1, 10)
    _range("callback.retry_seconds", policy.retry_seconds, 10, 3600)


@dataclass(frozen=True, slots=True)
class TenantConfig:
    """Everything one tenant's engine runs on; validated as a whole."""

    tenant: str
    call_centers: tuple[CallCenterConfig, ...]
    agents: tuple[AgentConfig, ...]
    seed: int = 0
    """Seed of the engine's own random generator (weighted routing)."""
    unavailable_codes: frozenset[str] = field(default_factory=frozenset)
    """Allowed unavailable codes; empty means any code is accepted."""

    def __post_init__(self) -> None:
        ids = [c.id for c in self.call_centers]
        if len(set(ids)) != len(ids):
            raise ConfigError("call_centers", "two call centers share a number")
        agents = {a.extension: a for a in self.agents}
        if len(agents) != len(self.agents):
            raise ConfigError("agents", "two agents share an extension")
        for c in self.call_centers:
            for m in c.members:
                agent = agents.get(m.extension)
                if agent is None:
                    raise ConfigError(f"{c.id}.members", f"unknown agent {m.extension}")
                if agent.licence < c.tier:
                    raise ConfigError(
                        f"{c.id}.members",
                        f"agent {m.extension} holds a {agent.licence.name} licence and cannot"
                        f" join the {c.tier.name} call center {c.id}",
                    )

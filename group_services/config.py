"""What a tenant configures for its hunt groups and auto attendants (built by provisioning,
read by the pure logic in hunt.py and menu.py). Invalid settings raise `ConfigError`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from common.number_destinations import VOICEMAIL_PREFIX, voicemail_box
from queueing.config import RoutingPolicy
from queueing.errors import ConfigError
from queueing.schedule import HolidayCalendar, WeeklySchedule

HUNT_POLICIES = frozenset(RoutingPolicy) - {RoutingPolicy.SKILL_BASED}
"""A hunt group's members have no skill levels: every call-center policy but skill-based."""

DIGITS = frozenset("0123456789*#")
MAX_DIGITS = 12
"""The longest number an option or a transfer names (an E.164 number is at most 15 with +,
but a menu only transfers to the tenant's own numbers and outside numbers written short)."""


def check_destination(where: str, number: str) -> str:
    """A transfer target: an extension, a group or call-center number, an outside number, or a
    user's voicemail box (`voicemail:1001`)."""
    box = voicemail_box(number)
    if box is not None:
        if not box.isdigit() or len(box) > 8:
            raise ConfigError(where, f"{number!r}: voicemail of an extension, voicemail:1001")
        return number
    plain = number.removeprefix("+")
    if not plain or not plain.isdigit() or len(plain) > 15:
        raise ConfigError(where, f"{number!r} is not a number to transfer to")
    return number


MAX_SELECTIVE_RULES = 20
MAX_CALLERS = 100
MAX_PATTERN = 16
"""An E.164 number with its + (16), or a prefix of one followed by `*`."""


def _check_pattern(where: str, pattern: str) -> None:
    digits = pattern.removesuffix("*").removeprefix("+")
    if not digits.isdigit() or len(pattern) > MAX_PATTERN:
        raise ConfigError(where, f"{pattern!r}: a number (+31201234567) or a prefix (06*)")


@dataclass(frozen=True, slots=True)
class SelectiveForward:
    """Selective group forwarding by caller (seed 3.3.8): calls from `callers` go to
    `destination` instead of the members."""

    callers: tuple[str, ...]
    """Numbers as the caller's arrives (E.164 from the carrier, an extension from inside), or
    prefixes ending in `*`: `+3120*`, `06*`."""
    destination: str

    def matches(self, caller: str) -> bool:
        return any(
            caller.startswith(p[:-1]) if p.endswith("*") else caller == p for p in self.callers
        )


@dataclass(frozen=True, slots=True)
class GroupForwarding:
    """Group forwarding and night forwarding (seed 3.3.7-3.3.10): where the group's calls go
    instead of its members. Each is a destination number, or None when off."""

    always: str | None = None
    """Every call, whatever the time."""
    outside_hours: str | None = None
    """Calls outside `schedule` or on a holiday (selective forwarding by schedule)."""
    night: str | None = None
    """Group night forwarding: where calls go while a user has switched it on."""
    night_on: bool = False
    """Switched on by a member (the user portal or REST), off again by one."""
    selective: tuple[SelectiveForward, ...] = ()
    """By caller, after `always`: the first rule naming the caller sends the call on."""

    def __post_init__(self) -> None:
        for name in ("always", "outside_hours", "night"):
            value = getattr(self, name)
            if value is not None:
                check_destination(f"forwarding.{name}", value)
        if len(self.selective) > MAX_SELECTIVE_RULES:
            raise ConfigError("forwarding.selective", f"at most {MAX_SELECTIVE_RULES} rules")
        for index, rule in enumerate(self.selective):
            where = f"forwarding.selective[{index}]"
            if not rule.callers or len(rule.callers) > MAX_CALLERS:
                raise ConfigError(f"{where}.callers", f"1 to {MAX_CALLERS} numbers or prefixes")
            for at, pattern in enumerate(rule.callers):
                _check_pattern(f"{where}.callers[{at}]", pattern)
            check_destination(f"{where}.destination", rule.destination)
        if self.night_on and self.night is None:
            raise ConfigError("forwarding.night_on", "night forwarding needs a destination")


@dataclass(frozen=True, slots=True)
class HuntGroupConfig:
    number: str
    name: str
    policy: RoutingPolicy = RoutingPolicy.CIRCULAR
    members: tuple[str, ...] = ()
    """Extensions in list order (regular and circular hunt in it)."""
    weights: Mapping[str, int] = field(default_factory=dict)
    """Weighted policy: a member's share (1 when not given)."""
    ring_seconds: float = 15.0
    """How long one member rings before the next is tried (all at once: the group's)."""
    no_answer_destination: str | None = None
    """Where the call goes when every member was tried and nobody answered."""
    busy_destination: str | None = None
    """Where the call goes when every member is busy (or not registered)."""
    forwarding: GroupForwarding = GroupForwarding()
    schedule: WeeklySchedule | None = None
    holidays: HolidayCalendar | None = None

    def __post_init__(self) -> None:
        if self.policy not in HUNT_POLICIES:
            raise ConfigError("policy", f"{self.policy} is not a hunt group policy")
        if len(set(self.members)) != len(self.members):
            raise ConfigError("members", "a member is listed twice")
        if any(w < 1 for w in self.weights.values()):
            raise ConfigError("weights", "a weight is at least 1")
        if not 1 <= self.ring_seconds <= 300:
            raise ConfigError("ring_seconds", "1 to 300 seconds")
        for name in ("no_answer_destination", "busy_destination"):
            value = getattr(self, name)
            if value is not None:
                check_destination(name, value)
        if self.forwarding.outside_hours is not None and self.schedule is None:
            raise ConfigError("forwarding.outside_hours", "needs a schedule")

    def weight(self, extension: str) -> int:
        return self.weights.get(extension, 1)


class OptionAction(StrEnum):
    TRANSFER = "transfer"
    """To `target`: a user, hunt group, call center, auto attendant or outside number."""
    SUBMENU = "submenu"
    """To the menu named `target`."""
    BACK = "back"
    """To the menu the caller came from (the top menu stays where it is)."""
    REPEAT = "repeat"
    """Say this menu again."""
    DIAL_EXTENSION = "dial_extension"
    """Collect an extension ending in # (or a pause) and transfer to it: one of the tenant's
    users (`AutoAttendantConfig.names`), never an outside number."""
    DIAL_NAME = "dial_name"
    """Collect the first letters of a name on the keypad (2 = abc ...), ending in # or a
    pause; one user whose first or last name starts so: transferred to them."""
    VOICEMAIL = "voicemail"
    """Straight into the voicemail box of the user `target` (an extension)."""


@dataclass(frozen=True, slots=True)
class MenuOption:
    digit: str
    action: OptionAction
    target: str = ""

    def __post_init__(self) -> None:
        if len(self.digit) != 1 or self.digit not in DIGITS:
            raise ConfigError("options.digit", f"{self.digit!r} is not one key 0-9, * or #")
        if self.action is OptionAction.TRANSFER:
            check_destination(f"options[{self.digit}].target", self.target)
        elif self.action is OptionAction.VOICEMAIL:
            check_destination(f"options[{self.digit}].target", self.voicemail_target)
        elif self.action is OptionAction.SUBMENU and not self.target:
            raise ConfigError(f"options[{self.digit}].target", "names no menu")

    @property
    def voicemail_target(self) -> str:
        """The `voicemail` option's destination."""
        return f"{VOICEMAIL_PREFIX}{self.target}"


@dataclass(frozen=True, slots=True)
class Menu:
    name: str
    text: str = ""
    """Said with espeak-ng when no announcement is set (or it is missing)."""
    announcement: str | None = None
    """`announcement:<name>`: the tenant's own recording, played instead of `text`."""
    options: tuple[MenuOption, ...] = ()
    destination: str | None = None
    """A menu without options (closed, say) sends the caller here once its prompt played."""

    def __post_init__(self) -> None:
        digits = [o.digit for o in self.options]
        if len(set(digits)) != len(digits):
            raise ConfigError(f"menus.{self.name}.options", "a key has two options")
        if not self.text and self.announcement is None:
            raise ConfigError(f"menus.{self.name}", "says nothing: give a text or announcement")
        if self.destination is not None:
            check_destination(f"menus.{self.name}.destination", self.destination)

    def option(self, digit: str) -> MenuOption | None:
        return next((o for o in self.options if o.digit == digit), None)


@dataclass(frozen=True, slots=True)
class AutoAttendantConfig:
    number: str
    name: str
    menus: Mapping[str, Menu]
    business_menu: str = "main"
    after_hours_menu: str | None = None
    """Outside `schedule`; None: the business menu at any hour."""
    holiday_menu: str | None = None
    """On a day of `holidays`; None: the after-hours menu (or the business menu)."""
    schedule: WeeklySchedule | None = None
    holidays: HolidayCalendar | None = None
    timeout_seconds: float = 5.0
    """How long after a prompt the caller may think before it counts as no input."""
    max_misses: int = 3
    """Wrong keys and silences in a row before the caller goes to `fallback`."""
    fallback: str | None = None
    """Where a caller who keeps missing goes; None: a goodbye and the call ends."""
    language: str = "nl"
    names: Mapping[str, str] = field(default_factory=dict)
    """Extension -> user name, for dial-by-extension and dial-by-name: the tenant's users, the
    only extensions a caller may dial from a menu; filled in by provisioning
    when it builds the config (never stored with the menu)."""

    def __post_init__(self) -> None:
        named = (self.business_menu, self.after_hours_menu, self.holiday_menu)
        for name in named:
            if name is not None and name not in self.menus:
                raise ConfigError("menus", f"no menu {name!r}")
        for menu in self.menus.values():
            for option in menu.options:
                if option.action is OptionAction.SUBMENU and option.target not in self.menus:
                    raise ConfigError(f"menus.{menu.name}", f"key {option.digit}: no menu "
                                      f"{option.target!r}")  # fmt: skip
        if (self.schedule is None) != (self.after_hours_menu is None):
            raise ConfigError("schedule", "an after-hours menu and a schedule go together")
        if not 1 <= self.timeout_seconds <= 60:
            raise ConfigError("timeout_seconds", "1 to 60 seconds")
        if not 1 <= self.max_misses <= 10:
            raise ConfigError("max_misses", "1 to 10")
        if self.fallback is not None:
            check_destination("fallback", self.fallback)
        if self.language not in ("nl", "en"):
            raise ConfigError("language", "nl or en")


MAX_FAX_RECIPIENTS = 20


@dataclass(frozen=True, slots=True)
class FaxConfig:
    """Fax to e-mail (seed 3.3.5): the number's G.711 fax calls are received and mailed as PDF
    to `recipients`; a failed fax is reported to them too. The addresses' form is checked by
    provisioning (the one e-mail rule of the product)."""

    number: str
    name: str
    recipients: tuple[str, ...]
    language: str = "nl"
    """Of the mails' subject and text."""

    def __post_init__(self) -> None:
        if not 1 <= len(self.recipients) <= MAX_FAX_RECIPIENTS:
            raise ConfigError("recipients", f"1 to {MAX_FAX_RECIPIENTS} e-mail addresses")
        if len(set(self.recipients)) != len(self.recipients):
            raise ConfigError("recipients", "an address is listed twice")
        if self.language not in ("nl", "en"):
            raise ConfigError("language", "nl or en")


def voicemail_boxes(
    config: HuntGroupConfig | AutoAttendantConfig | FaxConfig,
) -> frozenset[str]:
    """The extensions whose voicemail boxes `config` sends callers to (provisioning checks that
    they are the tenant's users)."""
    if isinstance(config, FaxConfig):
        return frozenset()  # a fax sends its callers nowhere
    if isinstance(config, HuntGroupConfig):
        forwarding = config.forwarding
        named = [config.no_answer_destination, config.busy_destination, forwarding.always,
                 forwarding.outside_hours, forwarding.night]  # fmt: skip
    else:
        named = [config.fallback]
        for menu in config.menus.values():
            named.append(menu.destination)
            named.extend(o.voicemail_target if o.action is OptionAction.VOICEMAIL else o.target
                         for o in menu.options)  # fmt: skip
    return frozenset(box for d in named if d is not None and (box := voicemail_box(d)))

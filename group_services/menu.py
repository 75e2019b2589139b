"""The auto attendant as a state machine: fed the clock at the start, then digits, the end of
each prompt and silences; it answers with what the shell must do (say, wait, transfer, hang up).

Nothing here plays audio or keeps time: the shell (cti/group_calls.py) plays `Say`, starts a
timer for `Wait` and feeds `timed_out()` when it fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias, assert_never

from group_services.config import AutoAttendantConfig, Menu, OptionAction

KEYPAD = {letter: key for key, letters in {
    "2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs", "8": "tuv",
    "9": "wxyz"}.items() for letter in letters}  # fmt: skip
"""The letters on a phone's keys (ITU E.161)."""
MAX_MENU_VISITS = 25
"""Menus said to one caller before the fallback: a caller (or a robot) bouncing between a menu
and its submenu for ever is sent on, never kept in the menu."""
EXTENSION_END = "#"


@dataclass(frozen=True, slots=True)
class Say:
    menu: Menu
    """The menu whose prompt to play (its announcement, else its text)."""


@dataclass(frozen=True, slots=True)
class SayInvalid:
    """ "That is not an option": said before the menu again."""


@dataclass(frozen=True, slots=True)
class Wait:
    seconds: float


@dataclass(frozen=True, slots=True)
class TransferTo:
    target: str
    why: str


@dataclass(frozen=True, slots=True)
class Goodbye:
    why: str


Action: TypeAlias = Say | SayInvalid | Wait | TransferTo | Goodbye


@dataclass(slots=True)
class MenuCall:
    """One caller's place in the menus."""

    menu: str
    path: list[str] = field(default_factory=list)
    """The menus above `menu`, for BACK."""
    misses: int = 0
    visits: int = 0
    collecting: str | None = None
    """Digits of an extension or name being dialled, None when not dialling."""
    by_name: bool = False
    """The digits being collected spell a name (dial-by-name), not an extension."""
    done: bool = False


def start_menu(config: AutoAttendantConfig, now: float) -> tuple[str, str]:
    """The menu a call arriving at `now` hears first, and why (business hours, holiday)."""
    if config.holidays is not None and (holiday := config.holidays.holiday_name(now)):
        menu = config.holiday_menu or config.after_hours_menu
        if menu is not None:
            return menu, f"holiday ({holiday})"
    closed = config.schedule is not None and not config.schedule.is_open(now)
    if closed and config.after_hours_menu is not None:
        return config.after_hours_menu, "outside business hours"
    return config.business_menu, "business hours"


def begin(config: AutoAttendantConfig, now: float) -> tuple[MenuCall, list[Action]]:
    menu, _why = start_menu(config, now)
    call = MenuCall(menu)
    return call, _enter(config, call, menu)


def prompt_finished(config: AutoAttendantConfig, call: MenuCall) -> list[Action]:
    """The menu's prompt played to its end: a menu without options sends the caller on, any
    other waits for a key."""
    if call.done:
        return []
    menu = config.menus[call.menu]
    if not menu.options and call.collecting is None:
        call.done = True
        if menu.destination is not None:
            return [TransferTo(menu.destination, f"menu {menu.name} sends every caller on")]
        return [Goodbye(f"menu {menu.name} has no options and no destination")]
    return [Wait(config.timeout_seconds)]


def digit(config: AutoAttendantConfig, call: MenuCall, key: str) -> list[Action]:
    if call.done:
        return []
    if call.collecting is not None:
        return _collect(config, call, key)
    menu = config.menus[call.menu]
    option = menu.option(key)
    if option is None:
        return _miss(config, call, f"key {key} is no option of menu {menu.name}")
    call.misses = 0
    action = option.action
    match action:
        case OptionAction.TRANSFER:
            call.done = True
            return [TransferTo(option.target, f"key {key} in menu {menu.name}")]
        case OptionAction.VOICEMAIL:
            call.done = True
            return [TransferTo(option.voicemail_target, f"key {key} in menu {menu.name}")]
        case OptionAction.SUBMENU:
            call.path.append(call.menu)
            return _enter(config, call, option.target)
        case OptionAction.BACK:
            return _enter(config, call, call.path.pop() if call.path else call.menu)
        case OptionAction.REPEAT:
            return _enter(config, call, call.menu)
        case OptionAction.DIAL_EXTENSION | OptionAction.DIAL_NAME:
            call.collecting = ""
            call.by_name = action is OptionAction.DIAL_NAME
            return [Wait(config.timeout_seconds)]
        case _:
            assert_never(action)


def timed_out(config: AutoAttendantConfig, call: MenuCall) -> list[Action]:
    """No key within the timeout after the prompt (or between two digits of an extension)."""
    if call.done:
        return []
    if call.collecting:
        return _dialled(config, call)
    return _miss(config, call, f"no key in menu {call.menu}")


def _collect(config: AutoAttendantConfig, call: MenuCall, key: str) -> list[Action]:
    assert call.collecting is not None
    if key == EXTENSION_END:
        return _dialled(config, call) if call.collecting else _miss(config, call, "empty number")
    if not key.isdigit() or len(call.collecting) >= 15:
        call.collecting = None
        return _miss(config, call, f"key {key} is not part of an extension")
    call.collecting += key
    return [Wait(config.timeout_seconds)]


def _dialled(config: AutoAttendantConfig, call: MenuCall) -> list[Action]:
    number = call.collecting or ""
    call.collecting = None
    if not call.by_name:
        if number not in config.names:  # never an outside number: no calls out on our bill
            return _miss(config, call, f"{number} is no extension of this company")
        call.done = True
        return [TransferTo(number, f"dialled extension {number}")]
    found = [ext for ext, name in config.names.items() if _spells(name, number)]
    if len(found) != 1:
        why = "nobody" if not found else f"{len(found)} users"
        return _miss(config, call, f"keys {number} spell {why}'s name")
    call.done = True
    return [TransferTo(found[0], f"dialled the name of {config.names[found[0]]}")]


def spelled(word: str) -> str:
    """A word as the keys that spell it (letters without a key, such as accents, dropped)."""
    return "".join(KEYPAD.get(letter, "") for letter in word.lower())


def _spells(name: str, keys: str) -> bool:
    return any(spelled(word).startswith(keys) for word in name.split())


def _miss(config: AutoAttendantConfig, call: MenuCall, why: str) -> list[Action]:
    call.misses += 1
    if call.misses >= config.max_misses:
        return _give_up(config, call, f"{why}; {call.misses} misses in a row")
    return [SayInvalid(), *_enter(config, call, call.menu)]


def _enter(config: AutoAttendantConfig, call: MenuCall, menu: str) -> list[Action]:
    call.visits += 1
    if call.visits > MAX_MENU_VISITS:
        return _give_up(config, call, f"{MAX_MENU_VISITS} menus said to one caller")
    call.menu = menu
    call.collecting = None
    return [Say(config.menus[menu])]


def _give_up(config: AutoAttendantConfig, call: MenuCall, why: str) -> list[Action]:
    call.done = True
    if config.fallback is not None:
        return [TransferTo(config.fallback, why)]
    return [Goodbye(why)]

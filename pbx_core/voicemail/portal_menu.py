"""The voice portal's menu (`*62`), as pure decisions: digits and "the prompt ended" in, what to
play and do out. No SIP, no files, no clock: `portal.py` is the shell that plays and stores.

Flow: the PIN followed by `#`; then a summary and the messages one by one, new ones first;
after each message: 1 again, 2 keep (saved), 3 delete, `#` next; `*` hangs up. Any digit cuts
the prompt short. A wrong PIN three times in one call hangs up; the PIN lock across calls is
the store's (`PinCheck.LOCKED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

MAX_PIN_TRIES_PER_CALL = 3
MAX_PIN_DIGITS = 12
REPLAY, KEEP, DELETE, NEXT, QUIT = "1", "2", "3", "#", "*"


class Stage(StrEnum):
    PIN = "pin"
    MESSAGE = "message"
    """A message plays (or its options prompt): 1/2/3/# act on it."""
    GOODBYE = "goodbye"


class PinCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class Say:
    """Play a prompt: `text` names it (`portal.py` speaks it), `count` fills a figure."""

    text: str
    new: int = 0
    saved: int = 0


@dataclass(frozen=True, slots=True)
class PlayMessage:
    message_id: str


@dataclass(frozen=True, slots=True)
class MarkRead:
    message_id: str


@dataclass(frozen=True, slots=True)
class Delete:
    message_id: str


@dataclass(frozen=True, slots=True)
class CheckPin:
    pin: str


@dataclass(frozen=True, slots=True)
class HangUp:
    pass


Action = Say | PlayMessage | MarkRead | Delete | CheckPin | HangUp


@dataclass(frozen=True, slots=True)
class Box:
    """The mailbox at the moment the PIN was accepted: (id, already read) newest first."""

    messages: tuple[tuple[str, bool], ...]


@dataclass
class Menu:
    stage: Stage = Stage.PIN
    pin: str = ""
    wrong_pins: int = 0
    queue: list[str] = field(default_factory=list)
    current: str = ""

    def started(self) -> list[Action]:
        return [Say("enter_pin")]

    def digit(self, digit: str) -> list[Action]:
        match self.stage:
            case Stage.PIN:
                if digit == NEXT:
                    pin, self.pin = self.pin, ""
                    return [CheckPin(pin)]
                if digit.isdigit() and len(self.pin) < MAX_PIN_DIGITS:
                    self.pin += digit
                return []
            case Stage.MESSAGE:
                return self._on_message_key(digit)
            case Stage.GOODBYE:
                return []
            case _:
                assert_never(self.stage)

    def pin_checked(self, result: PinCheck, box: Box) -> list[Action]:
        match result:
            case PinCheck.OK:
                new = [mid for mid, read in box.messages if not read]
                saved = [mid for mid, read in box.messages if read]
                # Oldest new message first (a voicemail is heard in the order it was left).
                self.queue = list(reversed(new)) + list(reversed(saved))
                self.stage = Stage.MESSAGE
                return [Say("summary", new=len(new), saved=len(saved)), *self._next()]
            case PinCheck.WRONG:
                self.wrong_pins += 1
                if self.wrong_pins >= MAX_PIN_TRIES_PER_CALL:
                    return self._goodbye("wrong_pin_goodbye")
                return [Say("wrong_pin")]
            case PinCheck.LOCKED:
                return self._goodbye("locked")
            case _:
                assert_never(result)

    def message_played(self) -> list[Action]:
        """The message itself ended: it counts as heard, then the options."""
        if self.stage is not Stage.MESSAGE or not self.current:
            return []
        return [MarkRead(self.current), Say("options")]

    def _on_message_key(self, digit: str) -> list[Action]:
        if digit == QUIT:
            return self._goodbye("goodbye")
        if not self.current:
            return []
        if digit == REPLAY:
            return [PlayMessage(self.current)]
        if digit == KEEP:
            return [MarkRead(self.current), Say("kept"), *self._next()]
        if digit == DELETE:
            return [Delete(self.current), Say("deleted"), *self._next()]
        if digit == NEXT:
            return [MarkRead(self.current), *self._next()]
        return []

    def _next(self) -> list[Action]:
        if not self.queue:
            self.current = ""
            return self._goodbye("no_more")
        self.current = self.queue.pop(0)
        return [PlayMessage(self.current)]

    def _goodbye(self, text: str) -> list[Action]:
        self.stage = Stage.GOODBYE
        return [Say(text), HangUp()]

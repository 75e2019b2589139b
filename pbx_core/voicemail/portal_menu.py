"""The voice portal's menu (`*62`), as pure decisions: digits and "the prompt ended" in, what to
play and do out. No SIP, no files, no clock: `portal.py` is the shell that plays and stores.

Flow (as a BroadWorks-style voice portal): the PIN followed by `#`; a summary of the box and the
main menu: 1 messages, 3 greetings, 6 announcements (a tenant admin's), `*` ends.
- Messages one by one, new ones first; after each: 1 again, 2 keep (saved), 3 delete, `#` next,
  `*` back to the main menu.
- Greetings: 1 the busy greeting, 2 the no-answer greeting; then recording (below).
- Announcements: the tenant's announcements are read out with a number each; the number and `#`
  picks one; then recording. Only for a user the store says may (`announcements_listed(None)`
  is "not allowed", spoken).
- Recording, the same for both: a prompt, the beep, the caller speaks and ends with `#` (or the
  longest recording is reached); it is played back; 1 keeps it, 2 records again, `*` drops it.
  Shorter than `MIN_RECORDING_SECONDS`: "too short" and the caller records again.
Any digit cuts a prompt short. A wrong PIN three times in one call hangs up; the PIN lock
across calls is the store's (`PinCheck.LOCKED`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import assert_never

MAX_PIN_TRIES_PER_CALL = 3
MAX_PIN_DIGITS = 12
MAX_CHOICE_DIGITS = 3
MIN_RECORDING_SECONDS = 1.0
REPLAY, KEEP, DELETE, NEXT, QUIT = "1", "2", "3", "#", "*"
MESSAGES_KEY, GREETINGS_KEY, ANNOUNCEMENTS_KEY = "1", "3", "6"
BUSY_KEY, NO_ANSWER_KEY = "1", "2"
KEEP_RECORDING, RECORD_AGAIN = "1", "2"


class Stage(StrEnum):
    PIN = "pin"
    MAIN = "main"
    MESSAGE = "message"
    """A message plays (or its options prompt): 1/2/3/# act on it."""
    GREETINGS = "greetings"
    ANNOUNCEMENT = "announcement"
    """The announcements were read out: their number and `#` pick one."""
    RECORDING = "recording"
    REVIEW = "review"
    """The recording was played back: 1 keep, 2 again, `*` drop."""
    GOODBYE = "goodbye"


class PinCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class Greeting:
    """The user's own greeting: `busy` (busy, do not disturb) or else no answer."""

    busy: bool


@dataclass(frozen=True, slots=True)
class Announcement:
    name: str


Target = Greeting | Announcement
"""What a recording made in the portal replaces when kept."""


@dataclass(frozen=True, slots=True)
class Say:
    """Play a prompt: `text` names it (`portal.py` speaks it); the other fields fill it in."""

    text: str
    new: int = 0
    saved: int = 0
    number: int = 0
    name: str = ""


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


@dataclass(frozen=True, slots=True)
class ListAnnouncements:
    """Ask the store for the tenant's announcements; answered with `announcements_listed`."""


@dataclass(frozen=True, slots=True)
class Beep:
    pass


@dataclass(frozen=True, slots=True)
class Record:
    """Start taking the caller's audio (after the beep); the shell calls `recording_started`."""

    target: Target


@dataclass(frozen=True, slots=True)
class StopRecording:
    """End the recording; the shell answers with `recorded`."""


@dataclass(frozen=True, slots=True)
class PlayRecording:
    pass


@dataclass(frozen=True, slots=True)
class Save:
    """Store the recording as `target`; the shell answers with `saved`."""

    target: Target


@dataclass(frozen=True, slots=True)
class Discard:
    """Drop the recording (a new one follows, or none)."""


Action = (
    Say
    | PlayMessage
    | MarkRead
    | Delete
    | CheckPin
    | HangUp
    | ListAnnouncements
    | Beep
    | Record
    | StopRecording
    | PlayRecording
    | Save
    | Discard
)


@dataclass(frozen=True, slots=True)
class Box:
    """The mailbox at the moment the PIN was accepted: (id, already read) newest first."""

    messages: tuple[tuple[str, bool], ...]


@dataclass
class Menu:
    stage: Stage = Stage.PIN
    pin: str = ""
    wrong_pins: int = 0
    box: Box = field(default_factory=lambda: Box(()))
    queue: list[str] = field(default_factory=list)
    current: str = ""
    choice: str = ""
    names: tuple[str, ...] = ()
    target: Target | None = None
    recording: bool = False
    """The caller's audio is being taken (the prompt and the beep are over)."""

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
            case Stage.MAIN:
                return self._on_main_key(digit)
            case Stage.MESSAGE:
                return self._on_message_key(digit)
            case Stage.GREETINGS:
                return self._on_greetings_key(digit)
            case Stage.ANNOUNCEMENT:
                return self._on_announcement_key(digit)
            case Stage.RECORDING:
                return self._on_recording_key(digit)
            case Stage.REVIEW:
                return self._on_review_key(digit)
            case Stage.GOODBYE:
                return []
            case _:
                assert_never(self.stage)

    def pin_checked(self, result: PinCheck, box: Box) -> list[Action]:
        match result:
            case PinCheck.OK:
                self.box = box
                new = sum(not read for _, read in box.messages)
                return [Say("summary", new=new, saved=len(box.messages) - new), *self._main()]
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
        return [self._mark_read(), Say("options")]

    def announcements_listed(self, names: Sequence[str] | None) -> list[Action]:
        """The tenant's announcements in the order read out; None: this user may not record
        them (not the tenant's admin)."""
        if names is None:
            return [Say("not_allowed"), *self._main()]
        if not names:
            return [Say("no_announcements"), *self._main()]
        self.names, self.choice, self.stage = tuple(names), "", Stage.ANNOUNCEMENT
        items = [Say("announcement_item", number=n, name=name) for n, name in enumerate(names, 1)]
        return [*items, Say("announcement_choose")]

    def recording_started(self) -> None:
        self.recording = True

    def recorded(self, seconds: float, longest: bool) -> list[Action]:
        """The recording ended (`#`, or `longest` reached) and lasts `seconds`."""
        self.recording = False
        if self.stage is not Stage.RECORDING or self.target is None:
            return [Discard()]
        if seconds < MIN_RECORDING_SECONDS:
            return [Discard(), Say("too_short"), *self._record(self.target)]
        self.stage = Stage.REVIEW
        return [*([Say("longest")] if longest else []), PlayRecording(), Say("review")]

    def saved(self, stored: bool) -> list[Action]:
        self.target = None
        return [Say("recording_saved" if stored else "not_saved"), *self._main()]

    def _main(self) -> list[Action]:
        self.stage, self.target = Stage.MAIN, None
        return [Say("main_menu")]

    def _on_main_key(self, digit: str) -> list[Action]:
        if digit == MESSAGES_KEY:
            new = [mid for mid, read in self.box.messages if not read]
            saved = [mid for mid, read in self.box.messages if read]
            # Oldest new message first (a voicemail is heard in the order it was left).
            self.queue = list(reversed(new)) + list(reversed(saved))
            self.stage = Stage.MESSAGE
            return self._next()
        if digit == GREETINGS_KEY:
            self.stage = Stage.GREETINGS
            return [Say("greetings_menu")]
        if digit == ANNOUNCEMENTS_KEY:
            return [ListAnnouncements()]
        if digit == QUIT:
            return self._goodbye("goodbye")
        return []

    def _on_message_key(self, digit: str) -> list[Action]:
        if digit == QUIT:
            return self._main()
        if not self.current:
            return []
        if digit == REPLAY:
            return [PlayMessage(self.current)]
        if digit == KEEP:
            return [self._mark_read(), Say("kept"), *self._next()]
        if digit == DELETE:
            self.box = Box(tuple(m for m in self.box.messages if m[0] != self.current))
            return [Delete(self.current), Say("deleted"), *self._next()]
        if digit == NEXT:
            return [self._mark_read(), *self._next()]
        return []

    def _mark_read(self) -> MarkRead:
        """The current message is heard: saved from now on, also when the caller comes back to
        the messages from the main menu in this call."""
        self.box = Box(tuple((m, read or m == self.current) for m, read in self.box.messages))
        return MarkRead(self.current)

    def _on_greetings_key(self, digit: str) -> list[Action]:
        if digit in (BUSY_KEY, NO_ANSWER_KEY):
            return self._record(Greeting(busy=digit == BUSY_KEY))
        if digit == QUIT:
            return self._main()
        return []

    def _on_announcement_key(self, digit: str) -> list[Action]:
        if digit == QUIT:
            return self._main()
        if digit != NEXT:
            if digit.isdigit() and len(self.choice) < MAX_CHOICE_DIGITS:
                self.choice += digit
            return []
        choice, self.choice = self.choice, ""
        number = int(choice) if choice else 0
        if not 1 <= number <= len(self.names):
            return [Say("no_such_announcement"), Say("announcement_choose")]
        return self._record(Announcement(self.names[number - 1]))

    def _on_recording_key(self, digit: str) -> list[Action]:
        if self.recording:
            return [StopRecording()] if digit == NEXT else []
        # A key during the prompt cuts it short (the shell dropped what was left): the beep.
        assert self.target is not None
        return [Beep(), Record(self.target)]

    def _on_review_key(self, digit: str) -> list[Action]:
        assert self.target is not None
        if digit == KEEP_RECORDING:
            return [Save(self.target)]
        if digit == RECORD_AGAIN:
            return [Discard(), *self._record(self.target)]
        if digit == QUIT:
            return [Discard(), Say("cancelled"), *self._main()]
        return [PlayRecording(), Say("review")] if digit == NEXT else []

    def _record(self, target: Target) -> list[Action]:
        self.stage, self.target, self.recording = Stage.RECORDING, target, False
        return [Say("record"), Beep(), Record(target)]

    def _next(self) -> list[Action]:
        if not self.queue:
            self.current = ""
            return [Say("no_more"), *self._main()]
        self.current = self.queue.pop(0)
        return [PlayMessage(self.current)]

    def _goodbye(self, text: str) -> list[Action]:
        self.stage = Stage.GOODBYE
        return [Say(text), HangUp()]

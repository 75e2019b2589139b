"""The voice portal (`*62` from the user's own phone): the shell around `portal_menu.Menu`.
It answers, speaks the prompts (NL/EN by the user's language, `SpokenPrompts`), plays the
messages' own WAV files, records greetings and announcements (`recorder.record_caller`, the
recorder messages are left with), and carries out the menu's decisions on the store.

Runs in the SIP thread, as a part of the B2BUA (`CallContext.voicemail`). Media are played one
after another: a list of the menu's actions runs until a prompt or a message, the rest waits
for its end (a reactor timer of its duration), and a digit cuts it short. A recording is taken
into a scratch file of its own, played back, and handed to the store only when kept; a call
that ends first leaves nothing behind (docs/voicemail.md, "Recording by phone").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, assert_never

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.voicemail.greetings import beep_file, spoken_language
from pbx_core.voicemail.portal_menu import (
    Action,
    Announcement,
    Beep,
    Box,
    CheckPin,
    Delete,
    Discard,
    Greeting,
    HangUp,
    ListAnnouncements,
    MarkRead,
    Menu,
    PinCheck,
    PlayMessage,
    PlayRecording,
    Record,
    Save,
    Say,
    Stage,
    StopRecording,
    Target,
)
from pbx_core.voicemail.portal_texts import TEXTS
from pbx_core.voicemail.recorder import MessageRecorder, Recording, record_caller

if TYPE_CHECKING:
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call
    from pbx_core.voicemail.deposit import VoicemailSettings

log = logging.getLogger(__name__)

PORTAL_CODE = "*62"


class PortalStore(Protocol):
    """The shell's access to the boxes, called in the SIP thread (each a short query; storing a
    recording runs sox on it, as an upload does)."""

    def check_pin(self, tenant: str, extension: str, pin: str) -> PinCheck: ...

    def check_call_pin(self, tenant: str, extension: str, pin: str, number: str) -> PinCheck:
        """The same PIN and lock for a call to `number` that needs it (`sip/calls/call_pin.py`);
        a refusal is audited."""
        ...

    def box(self, tenant: str, extension: str) -> Sequence[tuple[str, bool, Path]]:
        """(id, read, audio file) of every message, newest first."""
        ...

    def mark_read(self, tenant: str, extension: str, message_id: str) -> None: ...

    def delete(self, tenant: str, extension: str, message_id: str) -> None: ...

    def announcements(self, tenant: str, extension: str) -> Sequence[str] | None:
        """The names of `tenant`'s announcements in the order the portal numbers them; None
        when this user may not record them."""
        ...

    def save_announcement(self, tenant: str, extension: str, name: str, audio: Path) -> bool:
        """Store `audio` (8 kHz mono WAV) as announcement `name` on behalf of this user, as an
        upload; False when refused (no longer allowed, not audio)."""
        ...

    def save_greeting(self, tenant: str, extension: str, busy: bool, audio: Path) -> bool:
        """Store `audio` as the user's busy (or no-answer) greeting; False when refused."""
        ...


@dataclass(eq=False)
class _Session:
    tenant: str
    extension: str
    language: str
    menu: Menu = field(default_factory=Menu)
    files: dict[str, Path] = field(default_factory=dict)
    pending: list[Action] = field(default_factory=list)
    playing: Action | None = None
    recording: Recording | None = None
    """The caller's audio being taken now."""
    take: Path | None = None
    """The last recording, kept until saved or dropped."""
    cut_at_longest: bool = False
    """The recording's time ran out (the timer), whatever audio arrived by then: on a loaded
    machine the last packets may come after the timer, and the caller must still be told."""


class VoicePortal:
    def __init__(
        self, ctx: CallContext, settings: VoicemailSettings, recorder: MessageRecorder
    ) -> None:
        assert settings.portal is not None
        self._ctx = ctx
        self._settings = settings
        self._store = settings.portal
        self._recorder = recorder
        self._prompts = SpokenPrompts(settings.directory / "portal-prompts")
        self._scratch = settings.directory / "portal-recordings"
        # Takes left by a PBX stopped mid-recording: never kept, so never wanted.
        for stale in self._scratch.glob("*.wav"):
            stale.unlink(missing_ok=True)
        self._sessions: dict[str, _Session] = {}

    def start(self, call: Call, language: str) -> None:
        user = self._ctx.user(call, call.caller)  # in the caller's own tenant
        assert user is not None  # the caller passed digest auth as this extension
        session = _Session(user.tenant, call.caller, spoken_language(language))
        self._sessions[call.call_id] = session
        self._ctx.bridging.answer(call)
        self._run(call, session, session.menu.started())

    def on_digit(self, call: Call, digit: str) -> bool:
        session = self._sessions.get(call.call_id)
        if session is None:
            return False
        if session.menu.stage is Stage.GOODBYE:
            return True  # the goodbye plays out, then the hang-up
        self._cut_short(call, session)
        self._run(call, session, session.menu.digit(digit))
        return True

    def call_ended(self, call: Call) -> None:
        """Hung up (either side): whatever was being recorded, or not yet kept, is dropped."""
        session = self._sessions.pop(call.call_id, None)
        if session is None:
            return
        if session.recording is not None:
            self._recorder.close(session.recording)
            session.recording.path.unlink(missing_ok=True)
        if session.take is not None:
            session.take.unlink(missing_ok=True)

    def _cut_short(self, call: Call, session: _Session) -> None:
        if session.playing is not None:
            self._ctx.caller_media.stop_media(call)
            session.playing = None
        session.pending = []

    def _run(self, call: Call, session: _Session, actions: list[Action]) -> None:
        session.pending.extend(actions)
        store = self._store
        tenant, extension = session.tenant, session.extension
        while session.pending and session.playing is None and not call.ended:
            action = session.pending.pop(0)
            match action:
                case Say() | PlayMessage() | Beep() | PlayRecording():
                    self._play(call, session, action)
                case CheckPin(pin=pin):
                    result = store.check_pin(tenant, extension, pin)
                    box = store.box(tenant, extension) if result is PinCheck.OK else ()
                    session.files = {mid: path for mid, _read, path in box}
                    found = Box(tuple((mid, read) for mid, read, _path in box))
                    session.pending[:0] = session.menu.pin_checked(result, found)
                case MarkRead(message_id=mid):
                    store.mark_read(tenant, extension, mid)
                case Delete(message_id=mid):
                    store.delete(tenant, extension, mid)
                case ListAnnouncements():
                    names = store.announcements(tenant, extension)
                    session.pending[:0] = session.menu.announcements_listed(names)
                case Record(target=target):
                    self._record(call, session, target)
                case StopRecording():
                    session.pending[:0] = self._stop_recording(call, session)
                case Save(target=target):
                    session.pending[:0] = session.menu.saved(self._save(session, target))
                case Discard():
                    self._discard(session)
                case HangUp():
                    self._ctx.bridging.end_call(call, cc.HangupSide.PBX)
                case _:
                    assert_never(action)

    def _play(
        self, call: Call, session: _Session, action: Say | PlayMessage | Beep | PlayRecording
    ) -> None:
        media = self._ctx.media
        assert media is not None
        match action:
            case Say():
                text = TEXTS[session.language][action.text].format(
                    new=action.new,
                    saved=action.saved,
                    number=action.number,
                    name=action.name.replace("-", " ").replace("_", " "),
                )
                path = self._prompts.path(text, session.language)
            case PlayMessage(message_id=mid):
                path = session.files[mid]
            case Beep():
                path = beep_file(self._settings.directory / "greetings")
            case PlayRecording():
                assert session.take is not None
                path = session.take
            case _:
                assert_never(action)
        self._ctx.caller_media.stop_media(call)
        duration_ms = media.play_media(call.call_id, call.caller_tag, str(path))
        call.playing = True
        session.playing = action
        done = partial(self._ctx.guard, self._played, call, session, action)
        call.timer = Timeout(done, max(duration_ms, 1) / 1000.0)

    def _played(self, call: Call, session: _Session, action: Action) -> None:
        call.timer = None
        call.playing = False
        if session.playing is not action or call.ended:
            return
        session.playing = None
        more = session.menu.message_played() if isinstance(action, PlayMessage) else []
        self._run(call, session, more)

    def _record(self, call: Call, session: _Session, target: Target) -> None:
        self._discard(session)
        limit = self._longest(target)
        path = self._scratch / f"{uuid.uuid4().hex}.wav"
        recording = record_caller(self._ctx, call, self._recorder, path, limit)
        session.recording = recording
        session.menu.recording_started()
        # The recorder stops taking audio at the limit; this timer tells the caller.
        longest = partial(self._ctx.guard, self._longest_reached, call, session, recording)
        call.timer = Timeout(longest, limit)

    def _longest_reached(self, call: Call, session: _Session, recording: Recording) -> None:
        call.timer = None
        if session.recording is recording and not call.ended:
            session.cut_at_longest = True
            self._run(call, session, [StopRecording()])

    def _stop_recording(self, call: Call, session: _Session) -> list[Action]:
        recording = session.recording
        if recording is None:
            return []
        call.cancel_timer()
        self._recorder.close(recording)
        session.recording, session.take = None, recording.path
        longest = session.cut_at_longest or recording.samples >= recording.max_samples
        session.cut_at_longest = False
        return session.menu.recorded(recording.duration_seconds, longest)

    def _save(self, session: _Session, target: Target) -> bool:
        take, session.take = session.take, None
        if take is None:
            return False
        try:
            match target:
                case Greeting(busy=busy):
                    return self._store.save_greeting(session.tenant, session.extension, busy, take)
                case Announcement(name=name):
                    tenant, extension = session.tenant, session.extension
                    return self._store.save_announcement(tenant, extension, name, take)
                case _:
                    assert_never(target)
        finally:
            take.unlink(missing_ok=True)

    def _discard(self, session: _Session) -> None:
        if session.take is not None:
            session.take.unlink(missing_ok=True)
            session.take = None

    def _longest(self, target: Target) -> float:
        match target:
            case Greeting():
                return self._settings.greeting_max_seconds
            case Announcement():
                return self._settings.announcement_max_seconds
            case _:
                assert_never(target)

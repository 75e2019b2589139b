"""The voice portal (`*62` from the user's own phone): the shell around `portal_menu.Menu`.
It answers, speaks the prompts (NL/EN by the user's language, `SpokenPrompts`), plays the
messages' own WAV files, and carries out the menu's decisions on the store.

Runs in the SIP thread, as a part of the B2BUA (`CallContext.voicemail`). Media are played one
after another: a list of the menu's actions runs until a prompt or a message, the rest waits
for its end (a reactor timer of its duration), and a digit cuts it short.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, assert_never

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.voicemail.greetings import spoken_language
from pbx_core.voicemail.portal_menu import (
    Action,
    Box,
    CheckPin,
    Delete,
    HangUp,
    MarkRead,
    Menu,
    PinCheck,
    PlayMessage,
    Say,
    Stage,
)

if TYPE_CHECKING:
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call

log = logging.getLogger(__name__)

PORTAL_CODE = "*62"

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "enter_pin": "Welkom bij uw voicemail. Voer uw pincode in, gevolgd door hekje.",
        "wrong_pin": "Onjuiste pincode. Probeer het opnieuw.",
        "wrong_pin_goodbye": "Onjuiste pincode. Tot ziens.",
        "locked": "Uw voicemail is geblokkeerd. Stel een nieuwe pincode in. Tot ziens.",
        "summary": "U heeft {new} nieuwe en {saved} bewaarde berichten.",
        "options": "Toets 1 om te herhalen, 2 om te bewaren, 3 om te wissen,"
        " hekje voor het volgende bericht.",
        "kept": "Bewaard.",
        "deleted": "Gewist.",
        "no_more": "Geen berichten meer. Tot ziens.",
        "goodbye": "Tot ziens.",
    },
    "en": {
        "enter_pin": "Welcome to your voicemail. Enter your PIN, followed by hash.",
        "wrong_pin": "Wrong PIN. Please try again.",
        "wrong_pin_goodbye": "Wrong PIN. Goodbye.",
        "locked": "Your voicemail is locked. Please set a new PIN. Goodbye.",
        "summary": "You have {new} new and {saved} saved messages.",
        "options": "Press 1 to replay, 2 to save, 3 to delete, hash for the next message.",
        "kept": "Saved.",
        "deleted": "Deleted.",
        "no_more": "No more messages. Goodbye.",
        "goodbye": "Goodbye.",
    },
}


class PortalStore(Protocol):
    """The shell's access to the boxes, called in the SIP thread (each a short query)."""

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


@dataclass(eq=False)
class _Session:
    tenant: str
    extension: str
    language: str
    menu: Menu = field(default_factory=Menu)
    files: dict[str, Path] = field(default_factory=dict)
    pending: list[Action] = field(default_factory=list)
    playing: Action | None = None


class VoicePortal:
    def __init__(self, ctx: CallContext, store: PortalStore, prompts_dir: Path) -> None:
        self._ctx = ctx
        self._store = store
        self._prompts = SpokenPrompts(prompts_dir)
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
        self._sessions.pop(call.call_id, None)

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
                case Say() | PlayMessage():
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
                case HangUp():
                    self._ctx.bridging.end_call(call, cc.HangupSide.PBX)
                case _:
                    assert_never(action)

    def _play(self, call: Call, session: _Session, action: Say | PlayMessage) -> None:
        media = self._ctx.media
        assert media is not None
        if isinstance(action, Say):
            text = TEXTS[session.language][action.text].format(new=action.new, saved=action.saved)
            path = self._prompts.path(text, session.language)
        else:
            path = session.files[action.message_id]
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

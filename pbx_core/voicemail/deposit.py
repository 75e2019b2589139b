"""Leaving a message: an extension call nobody answered (no answer, busy, phone not registered)
is answered by the PBX, the caller hears the greeting and the beep, then talks into a
`MessageRecorder` socket until they hang up, press `#`, or reach the longest message.

Runs in the SIP thread, as a part of the B2BUA (`CallContext.voicemail`). The extension-call
path asks `divert` once its offer failed; forwarding (docs/phone-features.md) comes first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.voicemail.greetings import greeting_with_beep
from pbx_core.voicemail.recorder import MessageRecorder, Recording, record_caller

if TYPE_CHECKING:  # the B2BUA imports this module: no import back at run time
    from pbx_core.sip.calls.context import CallContext
    from pbx_core.sip.calls.model import Call
    from pbx_core.voicemail.portal import PortalStore

log = logging.getLogger(__name__)

END_KEY = "#"
BUSY_REASONS = ("user-busy", "do-not-disturb")
"""Forwarding's reasons for which the caller hears the user's busy greeting (else no answer)."""


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A user's voicemail settings as the PBX needs them while a call is left."""

    language: str = "nl"


@dataclass(frozen=True, slots=True)
class DepositedMessage:
    message_id: str
    tenant: str
    extension: str
    caller: str
    caller_name: str
    received_at: datetime
    duration_seconds: float
    path: Path
    packets: int = 0
    lost_packets: int = 0
    """RTP sequence gaps while recording (the benchmark's figure; logged when not 0)."""


def every_user_has_voicemail(_tenant: str, _extension: str) -> Mailbox | None:
    return Mailbox()


@dataclass(frozen=True)
class VoicemailSettings:
    directory: Path
    """Messages at `<directory>/boxes/<tenant>/<extension>/<id>.wav`, default greetings in
    `<directory>/greetings`."""
    on_message: Callable[[DepositedMessage], None]
    """Called in the SIP thread with each message left; must return at once."""
    mailbox: Callable[[str, str], Mailbox | None] = every_user_has_voicemail
    """(tenant, extension) -> the mailbox, or None: voicemail is off for that user."""
    max_seconds: float = 180.0
    greeting_max_seconds: float = 60.0
    """The longest greeting recorded in the voice portal (an upload's limit too)."""
    announcement_max_seconds: float = 300.0
    """The longest announcement recorded in the voice portal (an upload's limit too)."""
    portal: PortalStore | None = None
    """The voice portal's access to the boxes (None: no `*62`)."""
    min_seconds: float = 1.0
    """Shorter messages (a caller hanging up at the beep) are not kept: nothing to listen to."""

    def box_dir(self, tenant: str, extension: str) -> Path:
        return self.directory / "boxes" / _safe(tenant) / _safe(extension)


def _safe(name: str) -> str:
    """A path part from a tenant id or an extension: no separators, no dot-dot."""
    return "".join(c for c in name if c.isalnum() or c in "-_") or "_"


@dataclass(eq=False)
class _Deposit:
    tenant: str
    extension: str
    language: str
    recording: Recording | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class VoicemailDeposit:
    def __init__(
        self, ctx: CallContext, settings: VoicemailSettings | None, recorder: MessageRecorder | None
    ) -> None:
        self._ctx = ctx
        self._settings = settings
        self._recorder = recorder
        self._deposits: dict[str, _Deposit] = {}

    def available(self, tenant: str, extension: str) -> bool:
        """`extension` of `tenant` has a box calls can be left in now (forwarding's
        `has_voicemail`)."""
        settings = self._settings
        return (
            settings is not None
            and self._ctx.media is not None
            and settings.mailbox(tenant, extension) is not None
        )

    def divert(self, call: Call, extension: str, reason: str, *, asked: bool = False) -> bool:
        """Take the unanswered extension call to `extension`'s voicemail (in the call's tenant);
        False: not for it. `reason`: forwarding's (busy, no-answer, unavailable, ...). `asked`:
        the application's own `Transfer(to_voicemail=True)`, which may send a call it routes
        (a hunt group's) or has answered (an auto attendant's) too."""
        ctx, settings = self._ctx, self._settings
        if (
            settings is None
            or ctx.media is None
            or (not asked and (call.answered or call.route is not None))
            or call.call_id in self._deposits
        ):
            return False
        user = ctx.user(call, extension)
        box = settings.mailbox(user.tenant, extension) if user is not None else None
        if user is None or box is None:
            return False
        greeting = greeting_with_beep(
            settings.box_dir(user.tenant, extension),
            settings.directory / "greetings",
            extension,
            box.language,
            busy=reason in BUSY_REASONS,
        )
        deposit = _Deposit(user.tenant, extension, box.language)
        self._deposits[call.call_id] = deposit
        ctx.bridging.answer(call)
        duration_ms = ctx.media.play_media(call.call_id, call.caller_tag, str(greeting))
        call.playing = True
        after = partial(ctx.guard, self._start_recording, call, deposit)
        call.timer = Timeout(after, max(duration_ms, 1) / 1000.0)
        log.info("call %s to %s goes to voicemail (%s)", call.call_id, extension, reason)
        return True

    def _start_recording(self, call: Call, deposit: _Deposit) -> None:
        call.timer = None
        call.playing = False
        media, settings, recorder = self._ctx.media, self._settings, self._recorder
        if call.ended or media is None or settings is None or recorder is None:
            return
        path = settings.box_dir(deposit.tenant, deposit.extension) / f"{deposit.message_id}.wav"
        deposit.recording = record_caller(self._ctx, call, recorder, path, settings.max_seconds)
        deposit.received_at = datetime.now(UTC)
        end = partial(self._ctx.guard, self._longest_reached, call)
        call.timer = Timeout(end, settings.max_seconds)

    def _longest_reached(self, call: Call) -> None:
        call.timer = None
        self._ctx.bridging.end_call(call, cc.HangupSide.PBX)

    def on_digit(self, call: Call, digit: str) -> bool:
        """A caller's digit during voicemail: `#` ends the message. True: voicemail took it."""
        deposit = self._deposits.get(call.call_id)
        if deposit is None:
            return False
        if digit == END_KEY and deposit.recording is not None:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX)
        return True

    def call_ended(self, call: Call) -> None:
        """The call is over (either side): keep the message if there is one worth keeping."""
        deposit = self._deposits.pop(call.call_id, None)
        if deposit is None or deposit.recording is None:
            return
        recording = deposit.recording
        assert self._recorder is not None and self._settings is not None
        self._recorder.close(recording)
        if recording.lost:
            log.warning("voicemail %s: %d packets lost", deposit.message_id, recording.lost)
        if recording.duration_seconds < self._settings.min_seconds:
            recording.path.unlink(missing_ok=True)
            return
        self._settings.on_message(
            DepositedMessage(
                message_id=deposit.message_id,
                tenant=deposit.tenant,
                extension=deposit.extension,
                caller=call.caller,
                caller_name=call.caller_name,
                received_at=deposit.received_at,
                duration_seconds=round(recording.duration_seconds, 2),
                path=recording.path,
                packets=recording.packets,
                lost_packets=recording.lost,
            )
        )

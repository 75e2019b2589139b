"""What rtpengine plays and records: prompts and music to the caller, a prompt to the bridged
extension, the blocks of a hold, and the call's recording."""

from __future__ import annotations

import logging
from functools import partial

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.directory import RecordingMode
from pbx_core.media.ng_client import NgError
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg

log = logging.getLogger(__name__)

MUSIC_REPEAT_TIMES = 10_000
REPLAY_SLICE = 50
"""Calls whose loop `replay_loops` restarts in one go of the SIP thread (one `play media` takes
about 1 ms)."""
REPLAY_PAUSE_SECONDS = 0.01
RECORDING_CONFIRMATION = "recording_on_nl"
"""The directory knows no language per user yet: the demo tenant's (docs/recordings.md)."""


class CallerMedia:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    # -----------------------------------------------------------------------------------------
    # Prompts and music

    def play(
        self,
        call: Call,
        prompt: str,
        then_music: bool,
        *,
        loop: bool = False,
        music: str = "music_on_hold",
        then_hang_up: bool = False,
    ) -> None:
        media = self._ctx.media
        if media is None:
            self._ctx.fail(call, "PlayPrompt", "no media server configured")
            return
        if not call.answered:
            self._ctx.bridging.answer(call)
        self.stop_media(call)
        path = self._ctx.prompt_path(prompt)
        duration_ms = media.play_media(
            call.call_id,
            call.caller_tag,
            path,
            repeat_times=MUSIC_REPEAT_TIMES if loop else None,
        )
        call.playing = True
        call.looping = path if loop else ""
        if loop:
            return  # plays until stopped: no end to report
        done = partial(self._prompt_done, call, prompt, music if then_music else "", then_hang_up)
        call.timer = Timeout(partial(self._ctx.guard, done), max(duration_ms, 1) / 1000.0)

    def _prompt_done(self, call: Call, prompt: str, then_music: str, then_hang_up: bool) -> None:
        call.timer = None
        call.playing = False
        if call.ended:
            return
        if then_hang_up:
            self._ctx.bridging.end_call(call, cc.HangupSide.PBX, code=486)
            return
        self._ctx.emit(cc.MediaFinished(call.call_id, prompt), call.route)
        if then_music and call.bridged is None:
            self.start_music(call, then_music)

    def start_music(self, call: Call, music: str = "music_on_hold") -> None:
        media = self._ctx.media
        if media is None:
            self._ctx.fail(call, "StartMusicOnHold", "no media server configured")
            return
        if not call.answered:
            self._ctx.bridging.answer(call)
        self.stop_media(call)
        path = self._ctx.prompt_path(music)
        media.play_media(call.call_id, call.caller_tag, path, repeat_times=MUSIC_REPEAT_TIMES)
        call.playing = True
        call.looping = path

    def stop_media(self, call: Call, tell_rtpengine: bool = True) -> None:
        call.cancel_timer()
        media = self._ctx.media
        if media is not None and tell_rtpengine and call.playing:
            media.stop_media(call.call_id, call.caller_tag)
        call.playing = False
        call.looping = ""

    def replay_loops(self) -> None:
        """rtpengine restarted (`media/restart_watch.py`): it restored the calls' sessions but
        not its players, so each caller that heard a loop hears it again from its start. In
        slices of `REPLAY_SLICE` calls, so 525 waiters do not hold the SIP thread for seconds;
        a call's state is read when its turn comes (it may have stopped, ended or moved on)."""
        self._replay([call.call_id for call in self._ctx.calls.values() if call.looping])

    def _replay(self, call_ids: list[str]) -> None:
        media = self._ctx.media
        if media is None:
            return
        for call_id in call_ids[:REPLAY_SLICE]:
            call = self._ctx.calls.get(call_id)
            if call is None or call.ended or not call.playing or not call.looping:
                continue
            try:
                media.play_media(
                    call.call_id, call.caller_tag, call.looping, repeat_times=MUSIC_REPEAT_TIMES
                )
            except NgError:  # the call is gone from rtpengine, or rtpengine is again
                log.warning("could not play %s to %s again", call.looping, call_id)
        rest = call_ids[REPLAY_SLICE:]
        if rest:
            Timeout(partial(self._ctx.guard, self._replay, rest), REPLAY_PAUSE_SECONDS)

    def set_held_media(self, call: Call, held: bool) -> None:
        """Block both directions: the agent must not hear the caller, and the caller hears
        only the music (rtpengine's player does not replace forwarded audio, it interleaves)."""
        media = self._ctx.media
        assert media is not None
        change = media.block_media if held else media.unblock_media
        for tag in (call.caller_tag, str(call.ua.lTag)):
            change(call.call_id, tag)

    def play_to_agent(self, call: Call, prompt: str) -> int:
        """Returns the prompt's duration in ms (0: unknown, or refused)."""
        media = self._ctx.media
        if media is None or call.bridged is None:
            self._ctx.fail(call, "PlayToAgent", "no extension is bridged to the caller")
            return 0
        # rtpengine plays toward the party of the tag: the monologue facing the agent's leg.
        return media.play_media(call.call_id, str(call.ua.lTag), self._ctx.prompt_path(prompt))

    # -----------------------------------------------------------------------------------------
    # Recording

    def maybe_record(self, call: Call, leg: Leg) -> None:
        """Bridged to `leg`: record if a party has a recording licence (3.2.6: incoming and
        outgoing calls): the answering extension's and the calling extension's settings."""
        media = self._ctx.media
        # Both parties are the call's tenant's: an extension never calls across tenants.
        caller = (
            self._ctx.user(call, call.caller) if call.source is cc.CallSource.EXTENSION else None
        )
        licensed = [
            user
            for user in (self._ctx.user(call, leg.extension), caller)
            if user is not None and user.recording is not RecordingMode.NEVER
        ]
        if media is None or not licensed:
            return
        if not call.recording:
            media.start_recording(call.call_id, call.caller_tag)
            call.recording = True
        always = [user for user in licensed if user.recording is RecordingMode.ALWAYS]
        if not (call.keep_recording and call.recorded_extension):
            # Owned by the party whose "always" keeps it, else the first licensed one; a
            # *44 asked for already keeps its owner.
            call.recorded_extension = (always or licensed)[0].extension
        if always:
            call.keep_recording = True
        if call.announce_recording:
            call.announce_recording = False
            self.confirm_recording(call, to_caller=True)

    def request_recording(self, call: Call, requested_by: str = "") -> None:
        """Keep this call's recording (*44, `StartRecording`); `requested_by`: the extension
        that asked (default: the bridged one), who owns the recording."""
        call.keep_recording = True
        if requested_by:
            call.recorded_extension = requested_by
        elif call.bridged is not None:
            call.recorded_extension = call.bridged.extension
        media = self._ctx.media
        if media is not None and not call.recording and call.answered:
            media.start_recording(call.call_id, call.caller_tag)
            call.recording = True
        self._ctx.emit(cc.RecordingRequested(call.call_id), call.route)

    def licensed(self, tenant: str, extension: str) -> bool:
        """The extension of `tenant` (the call's) has a recording licence (any mode but never)."""
        user = self._ctx.directories.user(tenant, extension)
        return user is not None and user.recording is not RecordingMode.NEVER

    def record_on_request_of_caller(self, call: Call) -> None:
        """`*44<number>`: kept from the start, owned by the caller, confirmed once bridged."""
        call.keep_recording = True
        call.recorded_extension = call.caller
        call.announce_recording = True

    def confirm_recording(self, call: Call, to_caller: bool) -> None:
        """The short spoken confirmation of *44 (contract.md), over the conversation."""
        media = self._ctx.media
        if media is None:
            return
        # rtpengine plays toward the party of the tag: the caller's, or the one facing the
        # bridged extension.
        tag = call.caller_tag if to_caller else str(call.ua.lTag)
        media.play_media(call.call_id, tag, self._ctx.prompt_path(RECORDING_CONFIRMATION))

    def finish_recording(self, call: Call) -> None:
        sink = self._ctx.recording_sink
        if not call.recording or sink is None:
            return
        extension = call.recorded_extension
        sink(
            {
                "call_id": call.call_id,
                "caller": call.caller,
                "called": call.called,
                "extension": extension,
                "tenant": call.tenant,  # the recorded extension's too: calls stay in a tenant
                "keep": call.keep_recording,
                "call_center": call.route or "",
            }
        )

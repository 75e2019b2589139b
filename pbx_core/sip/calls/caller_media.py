"""What rtpengine plays and records: prompts and music to the caller, a prompt to the bridged
extension, the blocks of a hold, and the call's recording."""

from __future__ import annotations

from functools import partial

from sippy.Time.Timeout import Timeout

from pbx_core import call_control as cc
from pbx_core.directory import RecordingMode
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call, Leg

MUSIC_REPEAT_TIMES = 10_000


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
        duration_ms = media.play_media(
            call.call_id,
            call.caller_tag,
            self._ctx.prompt_path(prompt),
            repeat_times=MUSIC_REPEAT_TIMES if loop else None,
        )
        call.playing = True
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
        media.play_media(
            call.call_id,
            call.caller_tag,
            self._ctx.prompt_path(music),
            repeat_times=MUSIC_REPEAT_TIMES,
        )
        call.playing = True

    def stop_media(self, call: Call, tell_rtpengine: bool = True) -> None:
        call.cancel_timer()
        media = self._ctx.media
        if media is not None and tell_rtpengine and call.playing:
            media.stop_media(call.call_id, call.caller_tag)
        call.playing = False

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
        media = self._ctx.media
        user = self._ctx.user(call, leg.extension)
        if media is None or user is None or user.recording is RecordingMode.NEVER:
            return
        if not call.recording:
            media.start_recording(call.call_id, call.caller_tag)
            call.recording = True
        call.recorded_extension = leg.extension
        if user.recording is RecordingMode.ALWAYS:
            call.keep_recording = True

    def request_recording(self, call: Call) -> None:
        call.keep_recording = True
        if call.bridged is not None:
            call.recorded_extension = call.bridged.extension
        media = self._ctx.media
        if media is not None and not call.recording and call.answered:
            media.start_recording(call.call_id, call.caller_tag)
            call.recording = True
        self._ctx.emit(cc.RecordingRequested(call.call_id), call.route)

    def finish_recording(self, call: Call) -> None:
        sink = self._ctx.recording_sink
        if not call.recording or sink is None:
            return
        extension = call.recorded_extension
        user = self._ctx.user(call, extension) if extension else None
        sink(
            {
                "call_id": call.call_id,
                "caller": call.caller,
                "called": call.called,
                "extension": extension,
                "tenant": user.tenant if user is not None else "demo",
                "keep": call.keep_recording,
            }
        )

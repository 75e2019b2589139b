"""What a waiting caller hears: music or the estimated wait on entering, and the comfort
message (or its short bypass) re-armed on a timer.
"""

from __future__ import annotations

from queueing.commands import (
    PlayPrompt,
    StartMusic,
)
from queueing.config import EstimatedWait
from queueing.events import EventType
from queueing.state import Call, CallCenter, Phase
from queueing.step import Step

# Queue entry and exit ------------------------------------------------------------------------
from queueing.timers import COMFORT, timer_id


def start_waiting_media(ctx: Step, call: Call, cc: CallCenter, position: int | None = None) -> None:
    media = cc.config.media
    if media.estimated_wait is not EstimatedWait.OFF:
        if position is None:
            position = cc.waiting.position(call.call_id)
        if media.estimated_wait is EstimatedWait.POSITION:
            prompt = f"position:{position}"
        else:
            prompt = f"wait:{round(expected_wait(ctx, cc, position))}"
        ctx.command(PlayPrompt(call.call_id, prompt, resume_music=media.music_on_hold))
    elif (offer := callback_offer(ctx, call, cc, position)) is not None:
        ctx.command(PlayPrompt(call.call_id, offer, resume_music=media.music_on_hold))
    elif media.music_on_hold is not None:
        ctx.command(StartMusic(call.call_id, media.music_on_hold))


def callback_offer(ctx: Step, call: Call, cc: CallCenter, position: int | None) -> str | None:
    """The callback offer's prompt, when the call center offers callbacks and the estimated wait
    is over its threshold (docs/callback.md)."""
    policy = cc.config.callback
    if policy is None or call.callback is not None:
        return None
    if position is None:
        position = cc.waiting.position(call.call_id)
    if expected_wait(ctx, cc, position) <= policy.offer_above_seconds:
        return None
    return policy.offer_prompt


def expected_wait(ctx: Step, cc: CallCenter, position: int) -> float:
    """Calls ahead times the average handle time, shared by the agents signed in."""
    staffed = sum(
        1
        for e in cc.members
        if cc.config.id in ctx.state.agents[e].joined and ctx.state.agents[e].signed_in
    )
    return (position - 1) * cc.average_handle_seconds / max(1, staffed)


def comfort(ctx: Step, call: Call, cc: CallCenter) -> None:
    """Comfort message (or the short bypass message when the wait will be short); re-armed."""
    media = cc.config.media
    assert media.comfort_message is not None
    ctx.start_timer(
        timer_id(call.call_id, COMFORT), media.comfort_interval_seconds, COMFORT, call.call_id
    )
    if call.phase is not Phase.WAITING:
        return
    prompt, what = media.comfort_message, "comfort_message"
    bypass = media.comfort_bypass
    if (offer := callback_offer(ctx, call, cc, None)) is not None:
        prompt, what = offer, "callback_offer"
    elif bypass is not None:
        expected = expected_wait(ctx, cc, cc.waiting.position(call.call_id))
        if expected < bypass.threshold_seconds:
            prompt, what = bypass.message, "bypass_message"
    ctx.command(PlayPrompt(call.call_id, prompt, resume_music=media.music_on_hold))
    ctx.emit(
        EventType.CALL_UPDATED,
        f"played the {what.replace('_', ' ')}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        what=what,
    )

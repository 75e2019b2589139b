"""Calls the platform lost: their SIP dialogs died with a crashed process (issue 20, "honest
recovery"). Each ends with its own event and reason, never as the caller's abandonment: a
waiting call with CALL_LOST, an answered one with CALL_RELEASED by "platform". Nothing about them
goes to the PBX (it does not know them), and only once every lost call is out of its queue are
the freed agents offered calls, so no agent is offered a call that is already gone.

Calls whose dialogs a restarted PBX took over (`CallsTakenOver`, issue 20 "calls that survive a
PBX crash") keep their place instead: what died with the process starts again (the ring of an
agent, the end of the entrance message, the timers, the waiting media), then they are offered;
a talking call taken over goes on as it was (it is passed over here), a held one too, its hold
alert and bounce counting again from the take-over.
"""

from __future__ import annotations

from queueing import call_end, callbacks, flow
from queueing.events import EventType
from queueing.inputs import CallsLost, CallsTakenOver
from queueing.state import HOLDS_PLACE, IN_QUEUE, Agent, CallCenter, Phase, sync_free
from queueing.step import Step
from queueing.timers import COMFORT, HOLD_ALERT, HOLD_BOUNCE, MAX_WAIT, RING, timer_id
from queueing.waiting_media import start_waiting_media


def calls_lost(ctx: Step, event: CallsLost) -> None:
    calls = [call for i in event.call_ids if (call := ctx.state.calls.get(i)) is not None]
    freed: list[Agent] = []
    for call in calls:
        if call.phase not in IN_QUEUE or call.callback is not None:
            continue
        cc = ctx.state.call_centers[call.call_center_id]
        waited = flow.wait_seconds(ctx, call)
        freed += flow.leave_queue(ctx, call, cc)
        flow.forget(ctx, call)
        ctx.emit(
            EventType.CALL_LOST,
            f"lost: {event.reason} (after {waited} s waiting)",
            call_center_id=cc.config.id,
            call_id=call.call_id,
            caller=call.caller,
            wait_seconds=waited,
        )
    kept = set()
    for call in calls:
        # A callback not yet connected has nothing the crash could take from it but a ring.
        if call.callback is not None and call.phase in HOLDS_PLACE:
            kept.add(call.call_id)
            callbacks.survive_restart(ctx, call, ctx.state.call_centers[call.call_center_id])
        elif call.phase in (Phase.TALKING, Phase.HELD):
            call_end.release(ctx, call, "platform", f"lost: {event.reason}")
        elif call.phase is Phase.TREATED:
            flow.forget(ctx, call)
    gone = {call.call_id for call in calls} - kept
    ctx.commands[:] = [c for c in ctx.commands if getattr(c, "call_id", None) not in gone]
    flow.dispatch_agents(ctx, freed)


def calls_taken_over(ctx: Step, event: CallsTakenOver) -> None:
    freed: list[Agent] = []
    centers: dict[str, CallCenter] = {}
    for call_id in event.call_ids:
        call = ctx.state.calls.get(call_id)
        if call is not None and call.phase is Phase.HELD:
            _restart_hold_timers(ctx, call_id)
        if call is None or call.phase not in IN_QUEUE or call.callback is not None:
            continue
        cc = ctx.state.call_centers[call.call_center_id]
        # The agent's ring died with the old process (its leg's dialog is not taken over).
        for extension in call.offered_to:
            agent = ctx.state.agents[extension]
            agent.offered_call = None
            sync_free(ctx.state, agent)
            freed.append(agent)
        call.offered_to = ()
        ctx.cancel_timer(timer_id(call.call_id, RING))
        # An entrance message cut short counts as heard: its end will never be reported.
        call.entrance_done = True
        call.phase = Phase.WAITING
        _restart_timers(ctx, call.call_id, flow.wait_seconds(ctx, call), cc)
        start_waiting_media(ctx, call, cc)
        if call.call_id not in cc.waiting.ready:
            cc.waiting.set_ready(call.call_id)
        centers[cc.config.id] = cc
    flow.dispatch_agents(ctx, freed)
    for cc in centers.values():
        flow.dispatch_call_center(ctx, cc)


def _restart_hold_timers(ctx: Step, call_id: str) -> None:
    """A held call's alert and bounce (the call center's bounce policy), if they had not fired:
    their clocks died with the process, so they count again from now."""
    call = ctx.state.calls[call_id]
    policy = ctx.state.call_centers[call.call_center_id].config.bounce
    if policy is None:
        return
    for kind, seconds in ((HOLD_ALERT, policy.hold_alert_seconds),
                          (HOLD_BOUNCE, policy.hold_bounce_seconds)):  # fmt: skip
        if seconds is not None and timer_id(call_id, kind) in ctx.state.timers:
            ctx.start_timer(timer_id(call_id, kind), seconds, kind, call_id)


def _restart_timers(ctx: Step, call_id: str, waited: float, cc: CallCenter) -> None:
    """The engine's timers are in the state, their clocks died with the process: the maximum
    wait counts from the call's arrival, the comfort message from now."""
    max_wait = cc.config.overflow.max_wait_seconds
    if max_wait is not None and timer_id(call_id, MAX_WAIT) in ctx.state.timers:
        ctx.start_timer(timer_id(call_id, MAX_WAIT), max(max_wait - waited, 0.0), MAX_WAIT, call_id)
    comfort = cc.config.media
    if comfort.comfort_message is not None and timer_id(call_id, COMFORT) in ctx.state.timers:
        ctx.start_timer(
            timer_id(call_id, COMFORT), comfort.comfort_interval_seconds, COMFORT, call_id
        )

"""Calls the platform lost: their SIP dialogs died with a crashed process (issue 20, "honest
recovery"). Each ends with its own event and reason, never as the caller's abandonment: a
waiting call with CALL_LOST, an answered one with CALL_RELEASED by "platform". Nothing about them
goes to the PBX (it does not know them), and only once every lost call is out of its queue are
the freed agents offered calls, so no agent is offered a call that is already gone.
"""

from __future__ import annotations

from queueing import call_end, callbacks, flow
from queueing.events import EventType
from queueing.inputs import CallsLost
from queueing.state import HOLDS_PLACE, IN_QUEUE, Agent, Phase
from queueing.step import Step


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

"""Handlers of the supervisors' actions on waiting calls and on call-center switches."""

from __future__ import annotations

from queueing import flow
from queueing.config import Tier
from queueing.events import EventType
from queueing.inputs import (
    MoveCall,
    PromoteCall,
    ReorderCall,
    RetrieveCall,
    SetForcedForwarding,
    SetNightService,
)
from queueing.lookups import (
    check_priority,
    find_call_center,
    find_queued_call,
)
from queueing.state import CallCenter
from queueing.step import Rejected, Step
from queueing.waiting_list import make_key


def move_call(ctx: Step, event: MoveCall) -> None:
    call, cc = find_queued_call(ctx, event.call_id)
    target = find_call_center(ctx, event.to_call_center_id)
    if target is cc:
        raise Rejected("same_call_center", f"call {call.call_id} already waits in {cc.config.id}")
    if len(target.waiting) >= target.config.waiter_limit:
        raise Rejected(
            "target_full",
            f"{target.config.name} already holds {target.config.waiter_limit} callers",
        )
    freed = flow.leave_queue(ctx, call, cc)
    ctx.emit(
        EventType.CALL_TRANSFERRED,
        f"moved to {target.config.name} by {event.by}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        destination=target.config.id,
        wait_seconds=flow.wait_seconds(ctx, call),
        by=event.by,
    )
    call.stay += 1
    call.last_bounced_agent = None
    flow.enter_queue(ctx, call, target, reentry="moved")
    flow.dispatch_agents(ctx, freed)


def promote_call(ctx: Step, event: PromoteCall) -> None:
    call, cc = find_queued_call(ctx, event.call_id)
    check_priority(event.priority)
    if event.priority == call.priority:
        raise Rejected("unchanged", f"call {call.call_id} already has priority {call.priority}")
    previous = call.priority
    call.priority = event.priority
    cc.waiting.rekey(call.call_id, make_key(call.call_id, call.priority, call.order))
    ctx.emit(
        EventType.CALL_PROMOTED,
        f"priority {previous} -> {call.priority} by {event.by}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        priority=call.priority,
        previous_priority=previous,
    )


def reorder_call(ctx: Step, event: ReorderCall) -> None:
    call, cc = find_queued_call(ctx, event.call_id)
    peers = [k for k in cc.waiting.ordered if k[0] == -call.priority and k[2] != call.call_id]
    if not 1 <= event.position <= len(peers) + 1:
        raise Rejected(
            "bad_position",
            f"position {event.position} is outside 1..{len(peers) + 1} of priority {call.priority}",
        )
    index = event.position - 1
    before = peers[index - 1][1] if index > 0 else None
    after = peers[index][1] if index < len(peers) else None
    if before is None and after is None:
        order = call.order
    elif before is None:
        assert after is not None
        order = after - 1.0
    elif after is None:
        order = before + 1.0
    else:
        order = (before + after) / 2.0
    call.order = order
    cc.waiting.rekey(call.call_id, make_key(call.call_id, call.priority, order))
    ctx.emit(
        EventType.CALL_REORDERED,
        f"moved to position {event.position} of priority {call.priority} by {event.by}",
        call_center_id=cc.config.id,
        call_id=call.call_id,
        caller=call.caller,
        position=cc.waiting.position(call.call_id),
    )


def retrieve_call(ctx: Step, event: RetrieveCall) -> None:
    call, cc = find_queued_call(ctx, event.call_id)
    if call.callback is not None:
        raise Rejected("callback", f"call {call.call_id} is a callback: no caller to retrieve")
    if not event.extension:
        raise Rejected("bad_extension", "retrieving a call needs the supervisor's extension")
    why = f"retrieved by {event.by} to {event.extension}"
    flow.send_out(ctx, call, cc, EventType.CALL_TRANSFERRED, why, event.extension, by=event.by)


def set_night_service(ctx: Step, event: SetNightService) -> None:
    cc = find_call_center(ctx, event.call_center_id)
    _require_configured(cc, cc.config.night_service, "night service")
    cc.night_override = event.override
    _center_updated(ctx, cc, event.by)


def set_forced_forwarding(ctx: Step, event: SetForcedForwarding) -> None:
    cc = find_call_center(ctx, event.call_center_id)
    _require_configured(cc, cc.config.forced_forwarding, "forced forwarding")
    cc.forced_forwarding = event.enabled
    _center_updated(ctx, cc, event.by)


def _require_configured(cc: CallCenter, setting: object, feature: str) -> None:
    if setting is None:
        premium = " (a PREMIUM feature)" if cc.config.tier is not Tier.PREMIUM else ""
        raise Rejected(
            "not_configured", f"{cc.config.name} ({cc.config.tier.name}) has no {feature}{premium}"
        )


def _center_updated(ctx: Step, cc: CallCenter, by: str) -> None:
    night = {None: "follows the schedule", True: "forced on", False: "forced off"}
    ctx.emit(
        EventType.CALL_CENTER_UPDATED,
        f"by {by}: night service {night[cc.night_override]},"
        f" forced forwarding {'on' if cc.forced_forwarding else 'off'}",
        call_center_id=cc.config.id,
        night_service_override=cc.night_override,
        forced_forwarding=cc.forced_forwarding,
    )

"""The PBX's pickup and park of extension calls as events of the tenant's group events stream
(cti/group_events.py; docs/events.md, "Pickup and park"): `CALL_PICKED_UP` (who took which
ringing call), `CALL_PARKED`, `CALL_PARK_RETRIEVED`, `CALL_PARK_RECALLED`. Supervisors, admins
and API tokens follow them with the GraphQL subscription `groupCalls`, `group` being the
extension that rang or the park slot, `member` the user who picked up, parked or retrieved.

The PBX's events name the call only: its tenant and caller come from the call's `CallOffered`,
remembered until its `CallHungUp`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from common.event_types import EventType
from cti.group_events import GroupEvent
from pbx_core import call_control as cc


@dataclass(frozen=True, slots=True)
class _Known:
    tenant: str
    caller: str


class CallHandlingEvents:
    """`on_call_event` for every PBX event (`manager_assistant_calls.follow`); `publish` only
    queues (`GroupEventPublisher.publish`)."""

    def __init__(
        self, publish: Callable[[GroupEvent], None], clock: Callable[[], float] = time.time
    ) -> None:
        self._publish = publish
        self._clock = clock
        self._calls: dict[str, _Known] = {}

    async def on_call_event(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            self._calls[event.call_id] = _Known(event.tenant, event.caller)
        elif isinstance(event, cc.CallHungUp):
            self._calls.pop(event.call_id, None)
        elif isinstance(event, cc.CallPickedUp | cc.CallParked):
            known = self._calls.get(event.call_id)
            if known is not None:
                self._publish(self.translate(event, known))

    def translate(self, event: cc.CallPickedUp | cc.CallParked, known: _Known) -> GroupEvent:
        if isinstance(event, cc.CallPickedUp):
            kind, group, member = EventType.CALL_PICKED_UP, event.ringing_extension, event.extension
            data: dict[str, str] = {"ringing_extension": event.ringing_extension}
            reason = f"{event.extension} picked up the call ringing at {event.ringing_extension}"
        elif event.recalled:
            kind, group, member = EventType.CALL_PARK_RECALLED, event.slot, event.extension
            data = {"slot": event.slot}
            reason = f"parked too long on {event.slot}: rings {event.extension} again"
        elif event.retrieved_by:
            kind, group, member = EventType.CALL_PARK_RETRIEVED, event.slot, event.retrieved_by
            data = {"slot": event.slot, "parked_by": event.extension}
            reason = f"{event.retrieved_by} retrieved the call parked on {event.slot}"
        else:
            kind, group, member = EventType.CALL_PARKED, event.slot, event.extension
            data = {"slot": event.slot}
            reason = f"{event.extension} parked the call on {event.slot}"
        return GroupEvent(
            type=kind,
            timestamp=self._clock(),
            tenant=known.tenant,
            group=group,
            call_id=event.call_id,
            caller=known.caller,
            reason=reason,
            member=member,
            data=data,
        )

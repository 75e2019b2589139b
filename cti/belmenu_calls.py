"""Bel-me-nu's callbacks that are not a queue's (docs/group-services.md, "Bel-me-nu"): to a user
of the tenant, licensed for the call center or not, and to a hunt group, whose members ring by
its policy before the visitor's trunk leg.

Each ring is the PBX's click-to-dial (`Dial`: the member's phone first, showing the visitor's
number; when it answers, the visitor over the trunk). A hunt group's policy picks who rings
(`group_services.hunt.next_ring`, the same decisions and the same memory of the group as its
inbound calls): one `Dial` per member rung, all at once for simultaneous; when every member
rung failed, the next by the policy; when one answers, the others stop. When every member was
tried the callback ends (the group's no-answer and busy destinations are for callers who are
on the line; a visitor is not called at all until a member answers).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import assert_never

from cti.group_calls import GroupCalls
from group_services import hunt
from pbx_core import call_control as cc
from pbx_core.sip.click_to_dial import AGENT

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Callback:
    call_id: str
    tenant: str
    group: str
    visitor: str
    hunt_call: hunt.HuntCall = field(default_factory=hunt.HuntCall)
    dials: dict[str, str] = field(default_factory=dict)
    """Dial call id -> the member it rings."""
    dialled: int = 0
    answered_by: str | None = None


class BelmenuCalls:
    def __init__(
        self,
        send: Callable[[cc.CallCommand], None],
        groups: GroupCalls,
        clock: Callable[[], float] = time.time,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._send = send
        self._groups = groups
        self._clock = clock
        self._draw = draw
        self._by_dial: dict[str, _Callback] = {}

    def call_back(self, tenant: str, destination: str, visitor: str) -> str:
        """Ring `destination` (a hunt group's number or a user's extension), then `visitor`;
        the callback's id."""
        call_id = f"belmenu-{uuid.uuid4().hex}"
        if self._groups.hunt_group(tenant, destination) is None:
            self._send(cc.Dial(call_id, destination, visitor, tenant=tenant))
            return call_id
        self._ring_next(_Callback(call_id, tenant, destination, visitor))
        return call_id

    async def on_call_event(self, event: cc.CallEvent) -> None:
        callback = self._by_dial.get(event.call_id)
        if callback is None:
            return
        match event:
            case cc.CallAnswered(leg_id=leg_id) if leg_id == AGENT:
                self._answered(callback, event.call_id)
            case cc.OfferFailed(leg_id=leg_id, failure=failure) if leg_id == AGENT:
                if failure in (cc.OfferFailure.BUSY, cc.OfferFailure.NOT_REGISTERED):
                    callback.hunt_call.busy.add(callback.dials[event.call_id])
            case cc.CallHungUp():
                self._ended(callback, event.call_id)
            case _:
                pass  # the visitor's leg and the media: the PBX's click-to-dial

    def _ring_next(self, callback: _Callback) -> None:
        found = self._groups.hunt_group(callback.tenant, callback.group)
        if found is None:
            log.info("bel-me-nu %s: hunt group %s is gone", callback.call_id, callback.group)
            return
        config, state = found
        decision = hunt.next_ring(config, state, callback.hunt_call, self._draw)
        match decision:
            case hunt.Ring(members=members, why=why):
                log.info("bel-me-nu %s, hunt group %s: %s", callback.call_id, config.number, why)
                for member in members:
                    callback.dialled += 1
                    dial_id = f"{callback.call_id}~{callback.dialled}"
                    callback.dials[dial_id] = member
                    self._by_dial[dial_id] = callback
                    self._send(cc.Dial(dial_id, member, callback.visitor, config.ring_seconds,
                                       tenant=callback.tenant))  # fmt: skip
            case hunt.Forward(why=why) | hunt.GiveUp(why=why):
                log.info("bel-me-nu %s, hunt group %s: %s; the visitor is not called",
                         callback.call_id, config.number, why)  # fmt: skip
            case _:
                assert_never(decision)

    def _answered(self, callback: _Callback, dial_id: str) -> None:
        member = callback.dials[dial_id]
        callback.answered_by = dial_id
        for other in callback.dials:
            if other != dial_id:  # simultaneous: the others stop ringing
                self._send(cc.Hangup(other, 487, "Request Terminated"))
        found = self._groups.hunt_group(callback.tenant, callback.group)
        if found is not None:
            hunt.answered(found[1], member, callback.call_id)
        log.info("bel-me-nu %s: %s answered; the visitor is called", callback.call_id, member)

    def _ended(self, callback: _Callback, dial_id: str) -> None:
        callback.dials.pop(dial_id, None)
        self._by_dial.pop(dial_id, None)
        if callback.answered_by == dial_id:
            found = self._groups.hunt_group(callback.tenant, callback.group)
            if found is not None:
                hunt.call_ended(found[1], callback.call_id, self._clock())
        elif callback.answered_by is None and not callback.dials:
            self._ring_next(callback)

"""Tiny stand-ins for the queue engine: what an application registered for 7001-7003 does."""

from __future__ import annotations

import asyncio

from pbx_core import call_control as cc
from pbx_core.service import PbxService


class AnswerAndBridge:
    """Answers, plays a prompt then music, rings one extension (after `offer_after` s) and
    bridges when it answers. With `extension=None` the caller just waits with music."""

    def __init__(
        self,
        pbx: PbxService,
        extension: str | None,
        *,
        ring_timeout: float = 10.0,
        offer_after: float = 0.0,
        prompt: str = "recording_on_nl",
        hang_up_on_failure: bool = False,
        transfer_to: dict[str, str] | None = None,
        whisper: str | None = None,
    ) -> None:
        self.pbx = pbx
        self.whisper = whisper
        self.extension = extension
        self.ring_timeout = ring_timeout
        self.offer_after = offer_after
        self.prompt = prompt
        self.hang_up_on_failure = hang_up_on_failure
        self.transfer_to = transfer_to or {}
        self.events: list[cc.CallEvent] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, event: cc.CallEvent) -> None:
        self.events.append(event)
        send = self.pbx.send
        match event:
            case cc.CallOffered(call_id=call_id, called=called) if called in self.transfer_to:
                send(cc.Transfer(call_id, self.transfer_to[called]))
            case cc.CallOffered(call_id=call_id):
                send(cc.Answer(call_id))
                send(cc.PlayPrompt(call_id, self.prompt, then_music=True))
                if self.extension is not None:
                    task = asyncio.create_task(self._offer_later(call_id, self.extension))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            case cc.CallAnswered(call_id=call_id, leg_id=leg_id) if leg_id:
                send(cc.Bridge(call_id, leg_id))
            case cc.OfferFailed(call_id=call_id) if self.hang_up_on_failure:
                send(cc.Hangup(call_id))

    async def _offer_later(self, call_id: str, extension: str) -> None:
        await asyncio.sleep(self.offer_after)
        self.pbx.send(
            cc.OfferCall(
                call_id, f"{call_id}/agent", extension, self.ring_timeout, whisper=self.whisper
            )
        )


class RejectAll:
    """A full queue: every call is refused with 486."""

    def __init__(self, pbx: PbxService) -> None:
        self.pbx = pbx

    def __call__(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            self.pbx.send(cc.Reject(event.call_id, 486, "Busy Here"))

"""PushToTalk (intercom, `*55<ext>`): the colleague's phone is called with the auto-answer hints
(`Call-Info: <sip:pbx>;answer-after=0`, `Alert-Info: <http://localhost>;info=alert-autoanswer`,
sip/cased_header.py) and answers by itself, unless the colleague refuses intercom calls (all, or
all but from an allowed list: features/intercom.py). docs/phone-features.md, "Intercom"."""

from __future__ import annotations

from pbx_core.features.call_handling_phrases import Outcome
from pbx_core.sip.calls.context import CallContext
from pbx_core.sip.calls.model import Call


class Intercom:
    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx

    def refusal(self, phone: Call, callee: str) -> Outcome | None:
        """Why `phone`'s user may not intercom `callee` (the profile is checked before)."""
        ctx = self._ctx
        if callee == phone.caller or ctx.user(phone, callee) is None:
            return Outcome.NO_SUCH_EXTENSION  # another tenant's extension as an unknown one
        if not ctx.intercom.accepts(phone.tenant, callee, phone.caller):
            return Outcome.INTERCOM_REFUSED
        return None

    def call(self, phone: Call, callee: str) -> None:
        """Ring `callee` (refusal None) with auto-answer: `phone`'s call becomes a call to it."""
        ctx = self._ctx
        phone.called = callee
        ctx.offers.offer(phone, phone.next_leg_id(), callee, ctx.extension_ring_timeout, True,
                         auto_answer=True)  # fmt: skip

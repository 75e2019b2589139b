"""InterceptGroup and InterceptUser (service description ch. 7): the calls from outside to an
intercepted tenant, and every call to an intercepted user. The PBX hands them here
(`INTERCEPT_ROUTE`, pbx_core/sip/direct_numbers.py; `INTERCEPT_USER_ROUTE`,
pbx_core/features/forwarding.py); this answers, plays the intercept message (the tenant's
uploaded announcement, else the text spoken) and then sends the caller to the alternate number,
or hangs up. The settings are read at each call, so the admin's switch and message apply to the
next call without a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from cti.group_calls import announced
from pbx_core import call_control as cc
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.service import PbxService
from pbx_core.trunks.incoming_plan import INTERCEPT_ROUTE, INTERCEPT_USER_ROUTE
from provisioning.errors import ProvisioningError
from provisioning.intercept_user import UserIntercepts
from provisioning.service import ProvisioningService
from provisioning.trunks_incoming import IncomingPlans, InterceptView

log = logging.getLogger(__name__)

DEFAULT_TEXT: Mapping[str, str] = {
    "nl": "Dit nummer is op dit moment niet in gebruik.",
    "en": "This number is not in service at the moment.",
}
"""The platform's message when the admin wrote none."""


class InterceptCalls:
    def __init__(
        self,
        send: Callable[[cc.CallCommand], None],
        read: Callable[[str, str], InterceptView],
        prompts_dir: Path,
    ) -> None:
        """`read(tenant, called)`: the intercept in force for a call (blocking, SQL)."""
        self._send = send
        self._read = read
        self._prompts_dir = prompts_dir
        self._spoken = SpokenPrompts(prompts_dir / "spoken")
        self._playing: dict[str, tuple[str, str | None]] = {}
        """Call -> (the message playing, where the caller goes after it)."""

    async def on_call_event(self, event: cc.CallEvent) -> None:
        match event:
            case cc.CallOffered(call_id=call_id, tenant=tenant, called=called):
                await self._intercept(call_id, tenant, called)
            case cc.MediaFinished(call_id=call_id, prompt=prompt):
                playing = self._playing.get(call_id)
                if playing is not None and playing[0] == prompt:
                    self._after(call_id)
            case cc.CommandFailed(call_id=call_id, command="PlayPrompt", reason=reason):
                if call_id in self._playing:  # rtpengine refused: go on, never hang forever
                    log.warning("intercept message of %s not played: %s", call_id, reason)
                    self._after(call_id)
            case cc.CallHungUp(call_id=call_id):
                self._playing.pop(call_id, None)
            case _:
                pass  # after the message the call is the PBX's (a transfer) or over

    async def _intercept(self, call_id: str, tenant: str, called: str) -> None:
        try:
            view = await asyncio.to_thread(self._read, tenant, called)
        except ProvisioningError as error:  # the tenant or user was deleted meanwhile
            log.warning("intercept of %s: %s", call_id, error)
            self._send(cc.Reject(call_id, 404, "Not Found"))
            return
        if not view.enabled:  # switched off after the PBX routed this call: as if never on
            self._send(cc.Transfer(call_id, called))
            return
        log.info("call %s to %s of %s intercepted (then %s)", call_id, called, tenant,
                 view.alternate or "hang up")  # fmt: skip
        self._send(cc.Answer(call_id))
        prompt = await self._message(tenant, view)
        self._playing[call_id] = (prompt, view.alternate)
        self._send(cc.PlayPrompt(call_id, prompt))

    def _after(self, call_id: str) -> None:
        _, alternate = self._playing.pop(call_id)
        if alternate is not None:
            self._send(cc.Transfer(call_id, alternate))
        else:
            self._send(cc.Hangup(call_id, 200, "OK"))

    async def _message(self, tenant: str, view: InterceptView) -> str:
        text = view.text or DEFAULT_TEXT[view.language]
        return await announced(self._prompts_dir, self._spoken, tenant, view.announcement, text,
                               view.language)  # fmt: skip


def _tenant_intercept(plans: IncomingPlans) -> Callable[[str, str], InterceptView]:
    """Whoever the call is for, the tenant's intercept."""
    return lambda tenant, _called: plans.intercept(tenant)


def wire_intercept(
    pbx: PbxService, provisioning: ProvisioningService, prompts_dir: Path
) -> InterceptCalls:
    """The tenant's intercept (InterceptGroup) and each user's (InterceptUser), one handler each."""
    plans = IncomingPlans(provisioning.transactions)
    calls = InterceptCalls(pbx.send, _tenant_intercept(plans), prompts_dir)
    pbx.register_handler(calls.on_call_event, [INTERCEPT_ROUTE])
    users = UserIntercepts(provisioning.transactions)
    user_calls = InterceptCalls(pbx.send, users.of_extension, prompts_dir)
    pbx.register_handler(user_calls.on_call_event, [INTERCEPT_USER_ROUTE])
    return calls

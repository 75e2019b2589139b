"""Calls to feature access codes (`*72 1002`, `*78`, `*52`...): the handler the PBX gives every
call to a `*` number (`FEATURE_CODE_ROUTE`). It answers, makes the change through the same path
as the APIs (the user-services service, the engine's `set_agent_state`), says the outcome in the
user's language and hangs up. Codes another part handles (voicemail, pickup...) go to the
handler registered for that part in `delegates`; until one is, they are refused as not available.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, assert_never

from common.speed_dial import SPEED_DIAL_8, SPEED_DIAL_100, split_programmed
from cti.alternate_numbers_live import LiveAlternates
from cti.control import CallCenterControl, ControlError
from cti.custom_ringback_live import LiveRingbacks
from cti.selective_services import CallNotifyMailer
from cti.snapshots import AgentState, StateCause
from cti.speed_dial_live import LiveSpeedDials
from cti.user_services_live import LiveUserServices
from pbx_core import call_control as cc
from pbx_core.features import phrases
from pbx_core.features.codes import (
    FEATURE_CODE_ROUTE,
    Action,
    Dialled,
    Owner,
    UnknownCode,
    parse_code,
)
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.service import PbxService
from provisioning.alternate_numbers_store import AlternateNumbersService
from provisioning.custom_ringback import CustomRingbackService
from provisioning.errors import ProvisioningError
from provisioning.profiles import FEATURES
from provisioning.service import ProvisioningService
from provisioning.speed_dial_store import SpeedDialService
from provisioning.user_services_store import UserServicesService, UserServicesView

log = logging.getLogger(__name__)

SETTINGS: dict[Action, tuple[str, bool]] = {
    # action -> (setting, whether the dialled number is its new value)
    Action.FORWARD_ALWAYS_ON: ("forward_always", True),
    Action.FORWARD_ALWAYS_OFF: ("forward_always", False),
    Action.FORWARD_BUSY_ON: ("forward_busy", True),
    Action.FORWARD_BUSY_OFF: ("forward_busy", False),
    Action.FORWARD_NO_ANSWER_ON: ("forward_no_answer", True),
    Action.FORWARD_NO_ANSWER_OFF: ("forward_no_answer", False),
    Action.FORWARD_NOT_REACHABLE_ON: ("forward_not_reachable", True),
    Action.FORWARD_NOT_REACHABLE_OFF: ("forward_not_reachable", False),
}

ACD_STATES = {
    Action.ACD_SIGN_IN: AgentState.SIGN_IN,
    Action.ACD_SIGN_OUT: AgentState.SIGN_OUT,
    Action.ACD_AVAILABLE: AgentState.AVAILABLE,
    Action.ACD_UNAVAILABLE: AgentState.UNAVAILABLE,
    Action.ACD_WRAP_UP: AgentState.WRAP_UP,
}

Send = Callable[[cc.CallCommand], None]
"""An extension's tenant (the PBX's directory), None for a number that is no user."""


class FeatureCodeCalls:
    def __init__(
        self,
        send: Send,
        services: UserServicesService,
        control: CallCenterControl,
        spoken: SpokenPrompts,
        speed_dials: SpeedDialService,
    ) -> None:
        self._send = send
        self._services = services
        self._speed_dials = speed_dials
        self._control = control
        self._spoken = spoken
        self.delegates: dict[Owner, cc.CallHandler] = {}
        """The other parts' handlers of their codes (the integrator's one line each)."""
        self._delegated: dict[str, cc.CallHandler] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def on_call_event(self, event: cc.CallEvent) -> None:
        if (delegate := self._delegated.get(event.call_id)) is not None:
            if isinstance(event, cc.CallHungUp):
                del self._delegated[event.call_id]
            result = delegate(event)
            if asyncio.iscoroutine(result):
                await result
            return
        if isinstance(event, cc.CallOffered):
            await self._offered(event)
        elif isinstance(event, cc.MediaFinished | cc.CommandFailed):
            # The outcome was said (or could not be: no media): the call is done.
            self._send(cc.Hangup(event.call_id, code=200, reason="OK"))
        elif isinstance(event, cc.CallHungUp):
            task = self._tasks.pop(event.call_id, None)
            if task is not None:
                task.cancel()

    async def _offered(self, event: cc.CallOffered) -> None:
        parsed = parse_code(event.called)
        if isinstance(parsed, Dialled) and parsed.entry.owner is not Owner.FEATURES:
            delegate = self.delegates.get(parsed.entry.owner)
            if delegate is not None:
                self._delegated[event.call_id] = delegate
                result = delegate(event)
                if asyncio.iscoroutine(result):
                    await result
                return
        self._send(cc.Answer(event.call_id))
        # Off the PBX's event dispatcher: SQL, the engine and speech take some milliseconds.
        task = asyncio.create_task(self._carry_out(event, parsed), name=f"code-{event.call_id}")
        self._tasks[event.call_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(event.call_id, None))

    async def _carry_out(self, event: cc.CallOffered, parsed: Dialled | UnknownCode) -> None:
        try:
            text, language = await self._outcome(event.tenant, event.caller, parsed)
            path = await asyncio.to_thread(self._spoken.path, text, language)
        except Exception:
            log.exception("feature code call %s failed", event.call_id)
            self._send(cc.Hangup(event.call_id, code=500, reason="Server Error"))
            return
        self._send(cc.PlayPrompt(event.call_id, str(path)))

    async def _outcome(
        self, tenant: str, extension: str, parsed: Dialled | UnknownCode
    ) -> tuple[str, str]:
        """(what to say, in which language) after doing what the code asks, if it may."""
        user = await asyncio.to_thread(self._services.by_extension, tenant, extension)
        language = phrases.spoken_language(user.language)
        if isinstance(parsed, UnknownCode):
            return phrases.unknown_code(parsed.spoken, language), language
        entry = parsed.entry
        if entry.owner is not Owner.FEATURES:
            return phrases.not_available(entry.code, language), language
        if entry.feature and entry.feature not in FEATURES[user.profile]:
            text = phrases.not_in_profile(entry.code, entry.feature, user.profile.value, language)
            return text, language
        try:
            await self._apply(tenant, user, entry.action, parsed.argument)
        except (ProvisioningError, ControlError) as error:
            log.info("feature code %s of %s refused: %s", entry.code, extension, error)
            return phrases.failed(entry.code, language), language
        return phrases.confirmation(entry.action, parsed.argument, language), language

    async def _apply(
        self, tenant: str, user: UserServicesView, action: Action, argument: str
    ) -> None:
        actor = f"phone:{user.username}"
        patch: dict[str, Any]
        match action:
            case (
                Action.FORWARD_ALWAYS_ON
                | Action.FORWARD_ALWAYS_OFF
                | Action.FORWARD_BUSY_ON
                | Action.FORWARD_BUSY_OFF
                | Action.FORWARD_NO_ANSWER_ON
                | Action.FORWARD_NO_ANSWER_OFF
                | Action.FORWARD_NOT_REACHABLE_ON
                | Action.FORWARD_NOT_REACHABLE_OFF
            ):
                setting, takes_number = SETTINGS[action]
                patch = {setting: argument if takes_number else None}
            case Action.DO_NOT_DISTURB_ON | Action.DO_NOT_DISTURB_OFF:
                patch = {"do_not_disturb": action is Action.DO_NOT_DISTURB_ON}
            case (
                Action.ACD_SIGN_IN
                | Action.ACD_SIGN_OUT
                | Action.ACD_AVAILABLE
                | Action.ACD_UNAVAILABLE
                | Action.ACD_WRAP_UP
            ):
                state = ACD_STATES[action]
                code = argument or None if state is AgentState.UNAVAILABLE else None
                await self._control.set_agent_state(
                    tenant,
                    user.extension,
                    state,
                    unavailable_code=code,
                    cause=StateCause.PHONE,
                    by=user.username,
                )
                return
            case Action.SPEED_DIAL_8 | Action.SPEED_DIAL_100:
                feature = SPEED_DIAL_8 if action is Action.SPEED_DIAL_8 else SPEED_DIAL_100
                slot, number = split_programmed(feature, argument)
                change = self._speed_dials.change
                await asyncio.to_thread(change, actor, tenant, user.username, {slot: number})
                return
            case (
                Action.DIVERSION_INHIBITOR  # a call prefix the PBX itself takes off
                | Action.VOICE_PORTAL
                | Action.CALL_PICKUP
                | Action.DIRECTED_PICKUP
                | Action.CALL_PARK
                | Action.CALL_PARK_RETRIEVE
                | Action.HIDE_CALLER_ID
                | Action.REDIAL
                | Action.CALL_RETURN
                | Action.RECORD
                | Action.CONFERENCE
                | Action.HOTELING_SIGN_IN
                | Action.HOTELING_SIGN_OUT
                | Action.FILTERING_TOGGLE
                | Action.ASSISTANT_OPT_TOGGLE
                | Action.INTERCOM
                | Action.BARGE_IN_PICKUP
            ):
                raise ControlError("not_here", f"{action} is not handled by feature codes")
            case _:
                assert_never(action)
        await asyncio.to_thread(self._services.change, actor, tenant, user.username, patch)


def wire_phone_features(
    pbx: PbxService,
    provisioning: ProvisioningService,
    services: UserServicesService,
    control: CallCenterControl,
    prompts_dir: Path,
    speed_dials: SpeedDialService,
    alternates: AlternateNumbersService,
    ringbacks: CustomRingbackService,
) -> FeatureCodeCalls:
    """Forwarding, do-not-disturb, speed dial, alternate numbers, ringbacks live in the PBX, feature
    codes answered: the product's one call at start-up. Blocking (SQL): call it off the event
    loop, before the PBX starts."""
    LiveUserServices(services, provisioning, pbx.user_services).load_all()
    mailer = CallNotifyMailer.from_env()
    if mailer is not None:
        pbx.user_services.call_notify = mailer.notify
    LiveSpeedDials(speed_dials, provisioning, pbx.speed_dials).load_all()
    LiveAlternates(alternates, provisioning, pbx.alternates).load_all()
    LiveRingbacks(ringbacks, provisioning, pbx.ringbacks).load_all()
    calls = FeatureCodeCalls(
        pbx.send,
        services,
        control,
        SpokenPrompts(prompts_dir / "spoken"),  # the cache the queue's position prompts use
        speed_dials,
    )
    pbx.register_handler(calls.on_call_event, [FEATURE_CODE_ROUTE])
    return calls

"""Calls to the hoteling codes from a host phone (`*45<extension>` sign in, `*46` sign out;
docs/hoteling.md), and the PBX's hoteling table kept equal to provisioning.

Sign-in: answer, say the extension and ask for the PIN, collect DTMF digits up to `#` (or
`MAX_PIN_DIGITS`), then `HotelingService.sign_in` off the event loop; say the outcome and hang
up. No digits within `PIN_SECONDS` ends the call. The PIN never appears in a log or an event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import assert_never
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from cti.feature_codes import FeatureCodeCalls
from pbx_core import call_control as cc
from pbx_core.features import hoteling_phrases as say
from pbx_core.features.codes import Action, Dialled, Owner, parse_code
from pbx_core.features.hoteling import HotelingTable, Seat
from pbx_core.features.phrases import spoken_language, unknown_code
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.service import PbxService
from provisioning.hoteling import Refusal
from provisioning.hoteling_store import ENTITY, HotelingService, Refused, SignedIn
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from provisioning.user_services_store import UserServicesService

log = logging.getLogger(__name__)

MAX_PIN_DIGITS = 8
PIN_SECONDS = 20.0

Send = Callable[[cc.CallCommand], None]
Language = Callable[[str, str], str]
"""(tenant, extension) -> the user's language ("" when unknown). Blocking (SQL)."""


@dataclass
class _Call:
    tenant: str
    host: str
    guest: str
    language: str
    digits: str = ""
    collecting: bool = False
    """Asking for the PIN: DTMF digits are the PIN."""
    final_prompt: str = ""
    """The outcome being said: hang up when it has played."""
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class HotelingCalls:
    def __init__(
        self,
        send: Send,
        hoteling: HotelingService,
        spoken: SpokenPrompts,
        language: Language,
    ) -> None:
        self._send = send
        self._hoteling = hoteling
        self._spoken = spoken
        self._language = language
        self._calls: dict[str, _Call] = {}

    async def on_call_event(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            self._send(cc.Answer(event.call_id))
            offered = _Call(event.tenant, event.caller, "", "en")
            self._calls[event.call_id] = offered
            # Off the PBX's event dispatcher: SQL and speech take some milliseconds.
            offered.task = asyncio.create_task(
                self._offered(event, offered), name=f"hotel-{event.call_id}"
            )
            return
        call = self._calls.get(event.call_id)
        if call is None:
            return
        if isinstance(event, cc.DtmfReceived) and not event.leg_id and call.collecting:
            self._digit(event.call_id, call, event.digit)
        elif isinstance(event, cc.CommandFailed) or (
            isinstance(event, cc.MediaFinished) and event.prompt == call.final_prompt
        ):
            self._send(cc.Hangup(event.call_id, code=200, reason="OK"))
        elif isinstance(event, cc.CallHungUp):
            self._forget(event.call_id)

    async def _offered(self, event: cc.CallOffered, call: _Call) -> None:
        try:
            await self._start(event, call)
        except Exception:
            log.exception("hoteling code call %s failed", event.call_id)
            self._send(cc.Hangup(event.call_id, code=500, reason="Server Error"))

    async def _start(self, event: cc.CallOffered, call: _Call) -> None:
        language = spoken_language(
            await asyncio.to_thread(self._language, event.tenant, event.caller)
        )
        call.language = language
        parsed = parse_code(event.called)
        if not isinstance(parsed, Dialled):
            await self._say(event.call_id, unknown_code(parsed.spoken, language), final=True)
            return
        call.guest = parsed.argument
        action = parsed.entry.action
        if action is Action.HOTELING_SIGN_OUT:
            text = await asyncio.to_thread(self._sign_out, call)
            await self._say(event.call_id, text, final=True)
            return
        if action is not Action.HOTELING_SIGN_IN:
            raise ValueError(f"{action} is no hoteling code")
        if not await asyncio.to_thread(self._hoteling.is_host, call.tenant, call.host):
            await self._say(event.call_id, say.not_a_host(language), final=True)
            return
        loop = asyncio.get_running_loop()
        call.timer = loop.call_later(PIN_SECONDS, self._gave_up, event.call_id)
        call.collecting = True
        await self._say(event.call_id, say.ask_pin(call.guest, language), final=False)

    def _digit(self, call_id: str, call: _Call, digit: str) -> None:
        if digit != "#":
            call.digits += digit
        if digit == "#" or len(call.digits) >= MAX_PIN_DIGITS:
            call.collecting = False
            if call.timer is not None:
                call.timer.cancel()
            call.task = asyncio.create_task(self._sign_in(call_id, call), name=f"hotel-{call_id}")

    async def _sign_in(self, call_id: str, call: _Call) -> None:
        try:
            outcome = await asyncio.to_thread(
                self._hoteling.sign_in, call.tenant, call.host, call.guest, call.digits
            )
            text = await asyncio.to_thread(self._outcome_text, call, outcome)
        except Exception:
            log.exception("hoteling sign-in on %s failed", call.host)
            self._send(cc.Hangup(call_id, code=500, reason="Server Error"))
            return
        log.info("hoteling: %s on host %s@%s: %s", call.guest, call.host, call.tenant,
                 "signed in" if isinstance(outcome, SignedIn) else outcome.reason)  # fmt: skip
        await self._say(call_id, text, final=True)

    def _outcome_text(self, call: _Call, outcome: SignedIn | Refused) -> str:
        language = call.language
        if isinstance(outcome, SignedIn):
            local = outcome.session.expires_at.astimezone(
                ZoneInfo(self._hoteling.time_zone(call.tenant))
            )
            return say.signed_in(call.guest, local.strftime("%H:%M"), language)
        match outcome.reason:
            case Refusal.NOT_A_HOST:
                return say.not_a_host(language)
            case Refusal.NOT_A_GUEST:
                return say.not_a_guest(call.guest, language)
            case Refusal.HOST_IN_USE:
                return say.host_in_use(language)
            case Refusal.HOST_LOCKED:
                return say.host_locked(language)
            case Refusal.GUEST_LOCKED:
                return say.guest_locked(call.guest, language)
            case Refusal.WRONG_PIN:
                return say.wrong_pin(language)
            case _:
                assert_never(outcome.reason)

    def _sign_out(self, call: _Call) -> str:
        done = self._hoteling.sign_out(f"phone:{call.host}", call.tenant, call.host)
        return say.signed_out(call.language) if done else say.nobody_signed_in(call.language)

    async def _say(self, call_id: str, text: str, *, final: bool) -> None:
        call = self._calls.get(call_id)
        if call is None:
            return  # hung up meanwhile
        path = str(await asyncio.to_thread(self._spoken.path, text, call.language))
        if final:
            call.final_prompt = path
        self._send(cc.PlayPrompt(call_id, path))

    def _gave_up(self, call_id: str) -> None:
        self._send(cc.Hangup(call_id, code=200, reason="OK"))

    def _forget(self, call_id: str) -> None:
        call = self._calls.pop(call_id, None)
        if call is not None and call.timer is not None:
            call.timer.cancel()
        if call is not None and call.task is not None and not call.task.done():
            call.task.cancel()


def wire_hoteling(
    pbx: PbxService,
    provisioning: ProvisioningService,
    database: Engine,
    user_services: UserServicesService,
    feature_codes: FeatureCodeCalls,
    prompts_dir: Path,
) -> HotelingService:
    """The hoteling codes answered, the PBX's table filled and kept current: the product's one
    call at start-up. Blocking (SQL): call it off the event loop, before the PBX starts."""
    hoteling = HotelingService(database)
    live = LiveHoteling(hoteling, pbx.hoteling)
    provisioning.subscribe(live.on_user_change)  # a guest deleted or renumbered leaves
    for tenant in provisioning.tenant_ids():
        live.load(tenant)

    spoken = SpokenPrompts(prompts_dir / "spoken")  # the feature codes' cache
    calls = HotelingCalls(pbx.send, hoteling, spoken, user_services.language)
    feature_codes.delegates[Owner.HOTELING] = calls.on_call_event
    return hoteling


class LiveHoteling:
    """The PBX's `HotelingTable`: every tenant at start-up, a tenant again after each of its
    hoteling changes (sign-in, sign-out, a host made or removed)."""

    def __init__(self, hoteling: HotelingService, table: HotelingTable) -> None:
        self._hoteling = hoteling
        self._table = table
        hoteling.subscribe(self._on_change)

    def load(self, tenant: str) -> None:
        """Blocking (SQL): call it off the event loop."""
        hosts = [view.extension for view in self._hoteling.hosts(tenant)]
        seats = [
            Seat(s.host, s.guest, s.expires_at.timestamp()) for s in self._hoteling.sessions(tenant)
        ]
        self._table.replace_tenant(tenant, hosts, seats)

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            self.load(change.tenant)

    def on_user_change(self, change: Change) -> None:
        """Provisioning's changes: a user deleted or renumbered has left its host phone."""
        if change.entity == "user" and (change.action == "delete" or "extension" in change.changed):
            self.load(change.tenant)

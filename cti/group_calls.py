"""The shell of the group services: calls to a hunt group or an auto attendant, driven by the pure
decisions of group_services (menu.py, hunt.py) and turned into PBX commands.

The PBX hands these calls to the application like call-center calls (their numbers are in the
directory's application numbers); `GroupsFirst` sends a call's events here from the moment it
is offered to a group number until it is transferred to a number that is not one (a call center:
the queue engine takes over). A menu's transfer to another group of the tenant stays here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, assert_never

from common.event_types import EventType
from common.number_destinations import voicemail_box
from cti.group_events import GroupEvent
from group_services import hunt, menu
from group_services.config import AutoAttendantConfig, FaxConfig, HuntGroupConfig, Menu
from pbx_core import call_control as cc
from pbx_core.media.prompts import prompt_path
from pbx_core.media.spoken import SpokenPrompts
from provisioning.announcements import prompt_name
from provisioning.group_services import GroupConfig

log = logging.getLogger(__name__)

MAX_GROUP_HOPS = 8
"""Groups one call may pass through (a menu sending to a hunt group forwarding to a menu...):
a configuration that loops ends the call instead of spinning."""
SAID: Mapping[str, Mapping[str, str]] = {
    "invalid": {"nl": "Dat is geen geldige keuze.", "en": "That is not a valid option."},
    "goodbye": {"nl": "Tot ziens.", "en": "Goodbye."},
}


@dataclass(eq=False)
class _GroupCall:
    call_id: str
    tenant: str
    caller: str = ""
    group: str = ""
    """The group the call is in now (its events name it)."""
    entered_at: float = 0.0
    """When it reached `group`: the events' wait_seconds count from here."""
    answered: bool = False
    hops: int = 0
    attendant: AutoAttendantConfig | None = None
    menu_call: menu.MenuCall | None = None
    hunt_group: str | None = None
    hunt_call: hunt.HuntCall | None = None
    legs: dict[str, str] = field(default_factory=dict)
    """Ringing offers: leg id -> member."""
    legs_made: int = 0
    queue: list[str] = field(default_factory=list)
    """Prompts still to play, in order; the first one plays."""
    playing: str | None = None
    after: Callable[[], Awaitable[None]] | None = None
    """What follows when the queued prompts have played (wait for a key, hang up, ...)."""
    timer: asyncio.TimerHandle | None = None
    away: bool = False
    """Handed to the PBX (a transfer to a user or outside) or bridged: nothing more to decide."""


class GroupCalls:
    def __init__(
        self,
        send: Callable[[cc.CallCommand], None],
        prompts_dir: Path,
        clock: Callable[[], float] = time.time,
        draw: Callable[[], float] = random.random,
        events: Callable[[GroupEvent], None] | None = None,
    ) -> None:
        self._send = send
        self._events = events
        """Where the calls' events go (cti/group_events.py; None: only the log)."""
        self._prompts_dir = prompts_dir
        self._spoken = SpokenPrompts(prompts_dir / "spoken")
        self._clock = clock
        self._draw = draw
        self._configs: dict[str, dict[str, GroupConfig]] = {}
        self._groups: dict[tuple[str, str], hunt.GroupState] = {}
        self._calls: dict[str, _GroupCall] = {}
        self._timeouts: set[asyncio.Task[None]] = set()
        """Running menu timeouts (the loop keeps only weak references to tasks)."""

    # Configuration (provisioning reloads a tenant's groups after each change).

    def set_tenant(self, tenant: str, configs: Mapping[str, GroupConfig]) -> None:
        """The tenant's groups from now on: the next call (and the next offer of a hunt group's
        call in progress) follows them."""
        self._configs[tenant] = dict(configs)

    def is_group(self, tenant: str, number: str) -> bool:
        return number in self._configs.get(tenant, {})

    def hunt_group(
        self, tenant: str, number: str
    ) -> tuple[HuntGroupConfig, hunt.GroupState] | None:
        """A hunt group's settings and what it remembers between calls (circular, uniform), for
        the calls it makes itself (Bel-me-nu's, cti/belmenu_calls.py); None: no hunt group."""
        config = self._configs.get(tenant, {}).get(number)
        if not isinstance(config, HuntGroupConfig):
            return None
        return config, self._groups.setdefault((tenant, number), hunt.GroupState())

    def owns(self, call_id: str) -> bool:
        return call_id in self._calls

    # Events.

    async def on_call_event(self, event: cc.CallEvent) -> None:
        match event:
            case cc.CallOffered(call_id=call_id, tenant=tenant, called=called):
                call = self._calls.setdefault(call_id, _GroupCall(call_id, tenant, event.caller))
                call.away = False
                call.answered = call.answered or event.transferred
                await self._enter(call, called)
            case cc.CallHungUp(call_id=call_id):
                ended = self._calls.pop(call_id, None)
                if ended is not None and not ended.away:
                    self._event(ended, EventType.GROUP_CALL_ABANDONED, "the caller hung up")
                if ended is not None:
                    self._cancel_timer(ended)
                    self._end_hunt(ended, stop_ringing=False)  # the PBX cancelled them
            case _:
                known = self._calls.get(event.call_id)
                if known is not None:
                    await self._on_event(known, event)

    async def _on_event(self, call: _GroupCall, event: cc.CallEvent) -> None:
        match event:
            case cc.CallAnswered(leg_id=""):
                call.answered = True
            case cc.CallAnswered(leg_id=leg_id) if leg_id in call.legs:
                self._member_answered(call, leg_id)
            case cc.OfferFailed(leg_id=leg_id, failure=failure) if leg_id in call.legs:
                member = call.legs.pop(leg_id)
                if failure is cc.OfferFailure.CANCELLED:
                    return
                if failure in (cc.OfferFailure.BUSY, cc.OfferFailure.NOT_REGISTERED):
                    assert call.hunt_call is not None
                    call.hunt_call.busy.add(member)
                log.info("hunt group call %s: %s %s", call.call_id, member, failure)
                if not call.legs:
                    await self._ring_next(call)
            case cc.LegHungUp() if call.away and call.hunt_call is not None:
                # The member hung up: the group call is over for the caller as well.
                self._send(cc.Hangup(call.call_id, 200, "OK"))
            case cc.DtmfReceived(digit=digit, leg_id="") if self._in_menu(call):
                await self._digit(call, digit)
            case cc.MediaFinished(prompt=prompt) if prompt == call.playing:
                call.playing = None
                await self._play_next(call)
            case cc.CallTransferred():
                call.away = True
            case cc.CommandFailed(command="Transfer", reason=reason) if call.away:
                # The PBX could not take the caller there (a box gone since the menu was saved):
                # ended, never left hanging in silence.
                log.warning("group call %s: transfer failed: %s", call.call_id, reason)
                self._refuse(call, 480, "Temporarily Unavailable")
            case cc.CommandFailed(command="PlayPrompt", reason=reason) if call.playing:
                # rtpengine refused or was too slow: go on as if it played (the menu waits for
                # a key, a goodbye hangs up), never wait for a `MediaFinished` that won't come.
                log.warning("group call %s: prompt %s not played: %s", call.call_id,
                            call.playing, reason)  # fmt: skip
                call.playing = None
                await self._play_next(call)
            case (
                cc.CallOffered()
                | cc.CallHungUp()
                | cc.CallAnswered()
                | cc.OfferFailed()
                | cc.CallRinging()
                | cc.LegHungUp()
                | cc.DtmfReceived()
                | cc.CallHeld()
                | cc.CallResumed()
                | cc.MediaFinished()
                | cc.RecordingRequested()
                | cc.MonitorStarted()
                | cc.MonitorEnded()
                | cc.CommandFailed()
                | cc.CallPickedUp()
                | cc.CallParked()
            ):
                pass  # not a group decision: the PBX or the bridged phone handles it
            case _:
                assert_never(event)

    # Entering a group.

    async def _enter(self, call: _GroupCall, number: str) -> None:
        config = self._configs.get(call.tenant, {}).get(number)
        call.hops += 1
        self._end_hunt(call, stop_ringing=True)
        call.attendant = call.menu_call = None
        if config is None or call.hops > MAX_GROUP_HOPS:
            why = "no such group" if config is None else f"{MAX_GROUP_HOPS} groups in a row"
            log.warning("group call %s to %s ended: %s", call.call_id, number, why)
            self._refuse(call, 404 if config is None else 482, why)
            return
        call.group, call.entered_at = number, self._clock()
        kind = (
            "auto_attendant"
            if isinstance(config, AutoAttendantConfig)
            else "fax"
            if isinstance(config, FaxConfig)
            else "hunt_group"
        )
        self._event(call, EventType.GROUP_CALL_OFFERED, f"offered to {number}", kind=kind)
        if isinstance(config, AutoAttendantConfig):
            await self._start_menu(call, config)
        elif isinstance(config, FaxConfig):
            # The PBX answers as a fax machine and reports the fax (cti/fax.py mails it).
            call.away = True
            self._send(cc.ReceiveFax(call.call_id, config.number))
        else:
            await self._start_hunt(call, config)

    async def _route(self, call: _GroupCall, target: str, why: str, trigger: str) -> None:
        """A transfer decided by a menu or a hunt group."""
        log.info("group call %s -> %s (%s)", call.call_id, target, why)
        self._event(call, EventType.GROUP_CALL_FORWARDED, why, trigger=trigger, destination=target)
        self._cancel_timer(call)
        call.queue.clear()
        call.after = None
        if self.is_group(call.tenant, target):
            if call.playing is not None:
                call.playing = None
                self._send(cc.StopMedia(call.call_id))
            await self._enter(call, target)
            return
        call.away = True
        call.playing = None
        box = voicemail_box(target)
        self._send(cc.Transfer(call.call_id, box or target, to_voicemail=box is not None))

    def _refuse(self, call: _GroupCall, code: int, reason: str) -> None:
        call.away = True
        if call.answered:
            self._send(cc.Hangup(call.call_id, code, reason))
        else:
            self._send(cc.Reject(call.call_id, code, reason))

    # Auto attendant.

    def _in_menu(self, call: _GroupCall) -> bool:
        return call.menu_call is not None and not call.away

    async def _start_menu(self, call: _GroupCall, config: AutoAttendantConfig) -> None:
        call.attendant = config
        if not call.answered:
            self._send(cc.Answer(call.call_id))
            call.answered = True
        start, why = menu.start_menu(config, self._clock())
        log.info("auto attendant %s, call %s: menu %s (%s)", config.number, call.call_id,
                 start, why)  # fmt: skip
        call.menu_call, actions = menu.begin(config, self._clock())
        await self._apply(call, actions)

    async def _digit(self, call: _GroupCall, digit: str) -> None:
        assert call.attendant is not None and call.menu_call is not None
        self._cancel_timer(call)
        interrupted = call.playing is not None  # a key interrupts the prompt (barge-in)
        call.playing = None
        call.queue.clear()
        call.after = None
        await self._apply(call, menu.digit(call.attendant, call.menu_call, digit))
        if interrupted and call.playing is None and not call.away:
            # Nothing new to say (an extension being dialled): silence. A new prompt replaces
            # the old one by itself (`PlayPrompt` stops what plays), one rtpengine request less.
            self._send(cc.StopMedia(call.call_id))

    async def _timed_out(self, call: _GroupCall) -> None:
        call.timer = None
        if self._calls.get(call.call_id) is not call or not self._in_menu(call):
            return
        assert call.attendant is not None and call.menu_call is not None
        await self._apply(call, menu.timed_out(call.attendant, call.menu_call))

    async def _apply(self, call: _GroupCall, actions: list[menu.Action]) -> None:
        assert call.attendant is not None
        config = call.attendant
        for action in actions:
            match action:
                case menu.Say(menu=said):
                    call.queue.append(await self._menu_prompt(call.tenant, config, said))
                    call.after = partial(self._menu_said, call)
                case menu.SayInvalid():
                    call.queue.append(await self._speak("invalid", config.language))
                case menu.Wait(seconds=seconds):
                    call.after = partial(self._wait, call, seconds)
                case menu.TransferTo(target=target, why=why):
                    await self._route(call, target, why, "menu")
                    return
                case menu.Goodbye(why=why):
                    log.info("auto attendant call %s: goodbye (%s)", call.call_id, why)
                    call.queue.append(await self._speak("goodbye", config.language))
                    call.after = partial(self._hang_up, call)
                case _:
                    assert_never(action)
        if call.playing is None:
            await self._play_next(call)

    async def _play_next(self, call: _GroupCall) -> None:
        if call.queue:
            call.playing = call.queue.pop(0)
            self._send(cc.PlayPrompt(call.call_id, call.playing))
            return
        after, call.after = call.after, None
        if after is not None:
            await after()

    async def _menu_said(self, call: _GroupCall) -> None:
        assert call.attendant is not None and call.menu_call is not None
        await self._apply(call, menu.prompt_finished(call.attendant, call.menu_call))

    async def _wait(self, call: _GroupCall, seconds: float) -> None:
        self._cancel_timer(call)
        loop = asyncio.get_running_loop()
        call.timer = loop.call_later(seconds, lambda: self._start_timeout(loop, call))

    async def _hang_up(self, call: _GroupCall) -> None:
        call.away = True
        self._send(cc.Hangup(call.call_id, 200, "OK"))

    @staticmethod
    def _cancel_timer(call: _GroupCall) -> None:
        if call.timer is not None:
            call.timer.cancel()
            call.timer = None

    async def _menu_prompt(self, tenant: str, config: AutoAttendantConfig, said: Menu) -> str:
        """The menu's announcement if the tenant has it, else its text spoken by espeak-ng."""
        text = said.text or said.name
        return await announced(self._prompts_dir, self._spoken, tenant, said.announcement, text,
                               config.language)  # fmt: skip

    async def _speak(self, what: str, language: str) -> str:
        return await spoken(self._spoken, SAID[what][language], language)

    # Hunt group.

    async def _start_hunt(self, call: _GroupCall, config: HuntGroupConfig) -> None:
        call.hunt_group = config.number
        call.hunt_call = hunt.HuntCall()
        forward = hunt.on_arrival(config, self._clock(), call.caller)
        if forward is not None:
            await self._route(call, forward.target, forward.why, forward.trigger)
            return
        self._send(cc.SendRinging(call.call_id))
        await self._ring_next(call)

    async def _ring_next(self, call: _GroupCall) -> None:
        config = self._configs.get(call.tenant, {}).get(call.hunt_group or "")
        if not isinstance(config, HuntGroupConfig) or call.hunt_call is None:
            self._refuse(call, 480, "Temporarily Unavailable")  # the group was deleted meanwhile
            return
        group = self._groups.setdefault((call.tenant, config.number), hunt.GroupState())
        decision = hunt.next_ring(config, group, call.hunt_call, self._draw)
        match decision:
            case hunt.Ring(members=members, why=why):
                log.info("hunt group %s, call %s: %s", config.number, call.call_id, why)
                for member in members:
                    rung = {"policy": config.policy.value, "ring_seconds": config.ring_seconds}
                    self._event(call, EventType.GROUP_MEMBER_RUNG, why, member, **rung)
                    call.legs_made += 1
                    leg_id = f"{call.call_id}~hunt{call.legs_made}"
                    call.legs[leg_id] = member
                    self._send(cc.OfferCall(call.call_id, leg_id, member, config.ring_seconds))
            case hunt.Forward(target=target, why=why, trigger=trigger):
                await self._route(call, target, why, trigger)
            case hunt.GiveUp(outcome=outcome, why=why):
                log.info("hunt group %s, call %s: %s", config.number, call.call_id, why)
                self._event(call, EventType.GROUP_CALL_FORWARDED, why, trigger=outcome.value,
                            destination=None)  # fmt: skip
                busy = outcome is hunt.Outcome.BUSY
                self._refuse(call, 486 if busy else 480,
                             "Busy Here" if busy else "Temporarily Unavailable")  # fmt: skip
            case _:
                assert_never(decision)

    def _member_answered(self, call: _GroupCall, leg_id: str) -> None:
        member = call.legs.pop(leg_id)
        for other in call.legs:  # simultaneous: the others stop ringing
            self._send(cc.StopRinging(call.call_id, other))
        call.legs.clear()
        call.away = True
        call.answered = True
        self._send(cc.Bridge(call.call_id, leg_id))
        if call.hunt_group is not None:
            group = self._groups.setdefault((call.tenant, call.hunt_group), hunt.GroupState())
            hunt.answered(group, member, call.call_id)
        log.info("hunt group %s, call %s: %s answered", call.hunt_group, call.call_id, member)
        self._event(call, EventType.GROUP_CALL_ANSWERED, f"{member} answered", member)

    def _event(
        self, call: _GroupCall, type_: EventType, reason: str, member: str | None = None,
        **data: Any,
    ) -> None:  # fmt: skip
        if self._events is None or not call.group:
            return
        now = self._clock()
        if type_ not in (EventType.GROUP_CALL_OFFERED, EventType.GROUP_MEMBER_RUNG):
            data["wait_seconds"] = round(now - call.entered_at, 3)
        self._events(GroupEvent(type_, now, call.tenant, call.group, call.call_id, call.caller,
                                reason, member, data))  # fmt: skip

    def _start_timeout(self, loop: asyncio.AbstractEventLoop, call: _GroupCall) -> None:
        task = loop.create_task(self._timed_out(call), name="menu-timeout")
        self._timeouts.add(task)
        task.add_done_callback(self._timeouts.discard)

    def _end_hunt(self, call: _GroupCall, *, stop_ringing: bool) -> None:
        if call.hunt_group is not None:
            group = self._groups.get((call.tenant, call.hunt_group))
            if group is not None:
                hunt.call_ended(group, call.call_id, self._clock())
        if stop_ringing:
            for leg_id in call.legs:
                self._send(cc.StopRinging(call.call_id, leg_id))
        call.legs.clear()
        call.hunt_group = None
        call.hunt_call = None


async def announced(
    prompts_dir: Path,
    speaker: SpokenPrompts,
    tenant: str,
    announcement: str | None,
    text: str,
    language: str,
) -> str:
    """The prompt of a message the admin set: the tenant's uploaded `announcement:<name>` if its
    file is there, else `text` spoken (a menu's prompt, the intercept message)."""
    if announcement is not None:
        name = prompt_name(tenant, announcement)
        if name is not None and prompt_path(prompts_dir, name).exists():
            return name
        log.warning("announcement %s of %s is missing: its text is spoken", announcement, tenant)
    return await spoken(speaker, text, language)


async def spoken(speaker: SpokenPrompts, text: str, language: str) -> str:
    """`text` spoken by espeak-ng (cached); the welcome prompt if it cannot be made."""
    try:
        return str(await asyncio.to_thread(speaker.path, text, language))
    except (OSError, subprocess.CalledProcessError) as error:
        log.error("could not speak %r: %s", text, error)
        return f"welcome_{language}"


class GroupsFirst:
    """The application's call handler with the groups in front: calls offered to a group number
    go to `groups` until transferred elsewhere; every other event to `inner` (the queue engine)."""

    def __init__(self, groups: GroupCalls, inner: cc.CallHandler) -> None:
        self._groups = groups
        self._inner = inner

    async def __call__(self, event: cc.CallEvent) -> None:
        groups = self._groups
        if isinstance(event, cc.CallOffered):
            if groups.is_group(event.tenant, event.called):
                await groups.on_call_event(event)
                return
            if groups.owns(event.call_id):  # a group sent it to a call center: the engine's now
                await groups.on_call_event(cc.CallHungUp(event.call_id, cc.HangupSide.PBX))
        elif groups.owns(event.call_id):
            await groups.on_call_event(event)
            return
        result = self._inner(event)
        if result is not None:
            await result

"""The runtime's PBX adapter: the queue engine's commands carried out towards the PBX (and its
timers on the asyncio loop), the PBX's call events translated into engine inputs, and control
calls that wait for the PBX's answer.

Both translations match every kind of their closed union (`q.Command`, `pbx.CallEvent`) and end
in `assert_never`: a kind added there fails mypy here, and at run time fails loudly instead of
being dropped. Kinds deliberately without effect are listed as such.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol, assert_never

from cti.control import ControlError
from cti.engine_tenant import EngineTenant
from pbx_core import call_control as pbx
from pbx_core.media.prompts import MUSIC_ON_HOLD, PROMPT_TEXTS, TONES
from pbx_core.media.spoken import SpokenPrompts, position_text, wait_text
from provisioning.announcements import prompt_name
from queueing import commands as q
from queueing import inputs as qi

log = logging.getLogger(__name__)

PBX_RING_MARGIN = 5.0
"""The engine times offers out itself; the PBX's own ring timeout is only a safety net."""

PBX_CONFIRM_SECONDS = 3.0
"""How long hold/resume waits for the PBX's confirmation (it answers within milliseconds)."""

PBX_ANSWERS: dict[type, str] = {
    pbx.CallHeld: "HoldCall",
    pbx.CallResumed: "ResumeCall",
    pbx.MonitorStarted: "MonitorCall",
    pbx.MonitorEnded: "MonitorCall",
}
"""Which command an event from the PBX confirms (`CommandFailed` names its command itself)."""

REMINDER_TONE = "reminder_tone"
"""Beeps to the agent only, when a call they hold has waited too long (`RemindAgent`)."""

DIAL_MARK = "~callback~"
"""A callback's click-to-dial runs under `<call id>~callback~<n>` (`EngineTenant.dials`)."""

DIAL_AGENT, DIAL_DESTINATION = "agent", "destination"
"""The leg ids a `pbx.Dial` reports its two legs with (`pbx_core.call_control.Dial`)."""

FALLBACK_PROMPT = "comfort"
"""Played for a prompt name nobody generated: the caller hears a true, if general, message."""

CallStateEvent = (
    pbx.CallRinging
    | pbx.CallAnswered
    | pbx.OfferFailed
    | pbx.LegHungUp
    | pbx.CallHungUp
    | pbx.DtmfReceived
    | pbx.CallHeld
    | pbx.CallResumed
    | pbx.MediaFinished
    | pbx.CallTransferred
    | pbx.RecordingRequested
    | pbx.MonitorStarted
    | pbx.CallPickedUp
    | pbx.CallParked
    | pbx.CommandFailed
)
"""The PBX events about a call the engine already has: all but a new call (`CallOffered`) and a
supervisor's phone leaving (`MonitorEnded`), which are not the engine's call's own doing. Passing
a `pbx.CallEvent` narrowed by those two makes mypy check this list against pbx_core's."""

Feed = Callable[[str, qi.Input], object]


class PbxPort(Protocol):
    """What the runtime needs of the PBX (`pbx_core.service.PbxService` fits)."""

    def send(self, command: pbx.CallCommand) -> None: ...


class PbxAdapter:
    def __init__(
        self,
        port: PbxPort,
        tenants: Mapping[str, EngineTenant],
        *,
        language: str,
        feed: Feed,
        spoken: SpokenPrompts,
    ) -> None:
        self._port = port
        self._tenants = tenants
        self._call_centers: frozenset[tuple[str, str]] = frozenset()
        """(tenant, number) of every call center running: two tenants may both have 7001."""
        self.refresh_numbers()
        self._language = language
        self._spoken = spoken
        self._feed = feed
        """Where fired timers go: the engine of their tenant."""
        self._timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._awaiting: dict[tuple[str, str], asyncio.Future[pbx.CallEvent]] = {}
        """(call id, PBX command name) -> the control call waiting for the PBX's answer."""

    def refresh_numbers(self) -> None:
        """The call centers of the configs running now (again after a live change or a new
        tenant, so a call center created while running takes calls at once)."""
        self._call_centers = frozenset(
            (tenant, cc.id)
            for tenant, h in self._tenants.items()
            for cc in h.engine.config.call_centers
        )

    def send(self, command: pbx.CallCommand) -> None:
        self._port.send(command)

    def cancel_timers(self, tenant: str | None = None) -> None:
        """Every tenant's timers, or one tenant's (its engine stops on this node)."""
        for key in [k for k in self._timers if tenant is None or k[0] == tenant]:
            self._timers.pop(key).cancel()

    # Engine commands -> PBX ---------------------------------------------------------------------

    def execute(self, tenant: str, holder: EngineTenant, command: q.Command) -> None:
        send = self._port.send
        match command:
            case q.StartTimer():
                self._start_timer(tenant, command)
            case q.CancelTimer():
                handle = self._timers.pop((tenant, command.timer_id), None)
                if handle is not None:
                    handle.cancel()
            case q.AnswerCall():
                send(pbx.Answer(command.call_id))
            case q.PlayPrompt():
                holder.prompts[command.call_id] = command.prompt
                send(
                    pbx.PlayPrompt(
                        command.call_id,
                        self._prompt_file(command.prompt, tenant),
                        then_music=command.resume_music is not None,
                        loop=command.loop,
                        music=_music_file(command.resume_music, tenant),
                    )
                )
            case q.StartMusic():
                send(pbx.StartMusicOnHold(command.call_id, _music_file(command.music, tenant)))
            case q.StopMedia():
                send(pbx.StopMedia(command.call_id))
            case q.OfferCall():
                holder.leg_counter += 1
                leg_id = f"{command.call_id}:{command.agent}:{holder.leg_counter}"
                holder.legs[(command.call_id, command.agent)] = leg_id
                cc = holder.engine.state.call_centers[command.call_center_id]
                send(
                    pbx.OfferCall(
                        command.call_id,
                        leg_id,
                        command.agent,
                        ring_timeout=cc.config.ring_seconds + PBX_RING_MARGIN,
                        auto_answer=command.auto_answer,
                        whisper=(
                            self._prompt_file(command.whisper, tenant) if command.whisper else None
                        ),
                    )
                )
            case q.OfferCallback():
                # The PBX rings the agent, then calls the number once the agent answers.
                holder.leg_counter += 1
                dial = f"{command.call_id}{DIAL_MARK}{holder.leg_counter}"
                holder.legs[(command.call_id, command.agent)] = dial
                holder.dials[command.call_id] = dial
                cc = holder.engine.state.call_centers[command.call_center_id]
                send(
                    pbx.Dial(
                        dial,
                        command.agent,
                        command.number,
                        ring_timeout=cc.config.ring_seconds + PBX_RING_MARGIN,
                        tenant=tenant,
                        route=command.call_center_id,
                        intro=self._prompt_file(command.intro, tenant),
                    )
                )
            case q.StopRinging():
                ringing = holder.legs.pop((command.call_id, command.agent), None)
                if ringing is not None and DIAL_MARK in ringing:
                    if holder.dials.get(command.call_id) == ringing:
                        del holder.dials[command.call_id]  # its late events are stale
                    send(pbx.Hangup(ringing, 487, "Request Terminated"))
                elif ringing is not None:
                    send(pbx.StopRinging(command.call_id, ringing))
            case q.BridgeCall():
                answered = holder.legs.get((command.call_id, command.agent))
                if answered is not None:
                    send(pbx.Bridge(command.call_id, answered))
            case q.TransferCall():
                holder.forget_call(command.call_id)
                send(pbx.Transfer(command.call_id, command.destination))
            case q.RejectBusy():
                holder.forget_call(command.call_id)
                send(pbx.Reject(command.call_id, 486, "Busy Here"))
            case q.HangUpCall():
                if command.call_id in holder.engine.state.calls:
                    # A callback's caller after the confirmation: its offer, if one is out
                    # already, goes on.
                    holder.prompts.pop(command.call_id, None)
                else:
                    connected = holder.dials.get(command.call_id)
                    holder.forget_call(command.call_id)
                    if connected is not None:  # a connected callback: its click-to-dial
                        send(pbx.Hangup(connected, 200, "OK"))
                send(pbx.Hangup(command.call_id, 200, "OK"))
            case q.KeepRinging():
                send(pbx.SendRinging(command.call_id))
            case q.DisconnectAgent():
                leg = holder.legs.pop((command.call_id, command.agent), None)
                if leg is not None:
                    send(pbx.DisconnectLeg(command.call_id, leg))
            case q.RemindAgent():
                send(pbx.PlayToAgent(command.call_id, REMINDER_TONE))
            case _:
                assert_never(command)

    def _prompt_file(self, prompt: str, tenant: str) -> str:
        """Engine prompt names -> what the PBX plays: a generated prompt (language suffixed), the
        figure of `position:N`/`wait:S` spoken now, a tone, the tenant's own announcement
        (`announcement:<name>`), or a WAV path as given."""
        if (announcement := prompt_name(tenant, prompt)) is not None:
            return announcement
        language = self._language
        kind, _, figure = prompt.partition(":")
        if kind in ("position", "wait") and figure.isdigit():
            text = (position_text if kind == "position" else wait_text)(int(figure), language)
            try:
                return str(self._spoken.path(text, language))
            except (OSError, subprocess.CalledProcessError) as error:
                log.error("could not speak %r: %s; %s plays instead", text, error, FALLBACK_PROMPT)
                return f"{FALLBACK_PROMPT}_{language}"
        if prompt in PROMPT_TEXTS:
            return f"{prompt}_{language}"
        if prompt in TONES or prompt == MUSIC_ON_HOLD or Path(prompt).suffix == ".wav":
            return prompt
        log.warning("no prompt is generated for %r; %s plays instead", prompt, FALLBACK_PROMPT)
        return f"{FALLBACK_PROMPT}_{language}"

    def _start_timer(self, tenant: str, command: q.StartTimer) -> None:
        key = (tenant, command.timer_id)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(command.seconds, self._fire, tenant, command.timer_id)

    def _fire(self, tenant: str, timer_id: str) -> None:
        self._timers.pop((tenant, timer_id), None)
        self._feed(tenant, qi.TimerFired(timer_id))

    # PBX events -> engine inputs ----------------------------------------------------------------

    def engine_input(self, event: pbx.CallEvent) -> tuple[str, qi.Input] | None:
        """The input `event` means to which tenant's engine, if any; answers a waiting control
        call first."""
        self._confirm(event)
        if isinstance(event, pbx.MonitorEnded):
            self._monitor_ended(event)
            return None
        if isinstance(event, pbx.CallOffered):
            if (event.tenant, event.called) not in self._call_centers:
                self._port.send(pbx.Reject(event.call_id, 404, "Not Found"))
                return None
            external = event.source is pbx.CallSource.TRUNK  # counts against call capacity
            arrived = qi.CallArrived(event.call_id, event.called, event.caller, external=external)
            return event.tenant, arrived
        call_id, mark, _ = event.call_id.rpartition(DIAL_MARK)
        found = self._find_call(call_id if mark else event.call_id)
        if found is None:
            return None  # a call the engine already let go of (transferred, rejected)
        tenant, holder = found
        if mark:
            if holder.dials.get(call_id) != event.call_id:
                return None  # an ended offer or attempt of this callback: stale
            event = dataclasses.replace(event, call_id=call_id)
        translated = _translate(holder, event, from_dial=bool(mark))
        return None if translated is None else (tenant, translated)

    def _confirm(self, event: pbx.CallEvent) -> None:
        name = (
            event.command if isinstance(event, pbx.CommandFailed) else PBX_ANSWERS.get(type(event))
        )
        waiting = self._awaiting.get((event.call_id, name)) if name else None
        if waiting is not None and not waiting.done():
            waiting.set_result(event)

    def _monitor_ended(self, event: pbx.MonitorEnded) -> None:
        for holder in self._tenants.values():
            monitor = holder.monitors.get(event.call_id)
            if monitor is not None and monitor[0] == event.monitor_id:
                del holder.monitors[event.call_id]
        log.info(
            "supervisor phone %s left call %s: %s", event.extension, event.call_id, event.reason
        )

    def _find_call(self, call_id: str) -> tuple[str, EngineTenant] | None:
        for tenant, holder in self._tenants.items():
            if call_id in holder.engine.state.calls:
                return tenant, holder
        return None

    # Control calls the PBX answers --------------------------------------------------------------

    async def ask(
        self, command: pbx.CallCommand, *, settle: float | None = None
    ) -> pbx.CallEvent | None:
        """Send `command` and wait for the event that confirms or refuses it. With `settle`, no
        answer within that many seconds means "under way" (None); without, it is an error."""
        key = (command.call_id, type(command).__name__)
        if key in self._awaiting:
            raise ControlError("in_progress", f"a {key[1]} of this call is already under way")
        answer: asyncio.Future[pbx.CallEvent] = asyncio.get_running_loop().create_future()
        self._awaiting[key] = answer
        try:
            self._port.send(command)
            return await asyncio.wait_for(answer, settle or PBX_CONFIRM_SECONDS)
        except TimeoutError:
            if settle is not None:
                return None
            raise ControlError("pbx_timeout", f"the PBX did not confirm {key[1]}") from None
        finally:
            del self._awaiting[key]


def _translate(
    holder: EngineTenant, event: CallStateEvent, *, from_dial: bool = False
) -> qi.Input | None:
    call = holder.engine.state.calls[event.call_id]
    if call.callback is not None:
        dialled = _callback_input(holder, call.agent, event, from_dial)
        if dialled is not None:
            return dialled
    match event:
        case pbx.CallAnswered():
            return qi.AgentAnswered(event.call_id, event.extension) if event.leg_id else None
        case pbx.OfferFailed():
            holder.legs.pop((event.call_id, event.extension), None)
            if event.failure in (pbx.OfferFailure.CANCELLED, pbx.OfferFailure.NO_ANSWER):
                # Our own StopRinging, or the PBX's safety-net timeout: the engine's ring timer
                # decides about unanswered offers (a bounce, not a missed call).
                return None
            return qi.AgentRejected(event.call_id, event.extension, event.failure.value)
        case pbx.LegHungUp():
            return qi.AgentHungUp(event.call_id, event.extension)
        case pbx.CallHungUp():
            holder.forget_call(event.call_id)
            if call.agent is not None and event.side is pbx.HangupSide.CALLEE:
                return qi.AgentHungUp(event.call_id, call.agent)
            return qi.CallerHungUp(event.call_id)
        case pbx.DtmfReceived():
            return None if event.leg_id else qi.DtmfReceived(event.call_id, event.digit)
        case pbx.CallHeld() | pbx.CallResumed():
            if call.agent is None:
                return None
            kind = qi.CallHeld if isinstance(event, pbx.CallHeld) else qi.CallResumed
            return kind(event.call_id, call.agent)
        case pbx.MediaFinished():
            return qi.MediaFinished(event.call_id, holder.prompts.pop(event.call_id, event.prompt))
        case pbx.CallTransferred():
            # The agent's phone transferred the caller away (REFER): the agent is done, the
            # caller stays with the PBX, which is ringing the target already.
            if call.agent is None:
                return None
            return qi.AgentHungUp(event.call_id, call.agent, transferred=True)
        case pbx.RecordingRequested():
            holder.recording.add(event.call_id)
            return None
        case pbx.CallPickedUp() | pbx.CallParked():
            return None  # the PBX's own extension calls (sip/calls/pickup.py, park.py)
        case pbx.CallRinging() | pbx.MonitorStarted() | pbx.CommandFailed():
            # Nothing for the engine: it times offers itself, and the other two only answer a
            # control call waiting for the PBX (`PbxAdapter.ask`).
            return None
        case _:
            assert_never(event)


def _callback_input(
    holder: EngineTenant, agent: str | None, event: CallStateEvent, from_dial: bool
) -> qi.Input | None:
    """A callback's events: of its click-to-dial, the destination leg is the customer and the
    extension side (CALLER) the agent; the caller's own leg only ends. None leaves the event to
    the general translation."""
    match event:
        case pbx.CallAnswered(leg_id=leg) if leg == DIAL_DESTINATION:
            return qi.CallbackAnswered(event.call_id)
        case pbx.OfferFailed(leg_id=leg) if leg == DIAL_DESTINATION:
            return qi.CallbackFailed(event.call_id, event.failure.value)
        case pbx.CallHungUp() if from_dial:
            holder.forget_call(event.call_id)
            if event.side is pbx.HangupSide.CALLER and agent is not None:
                return qi.AgentHungUp(event.call_id, agent)
            return qi.CallerHungUp(event.call_id)
        case pbx.CallHungUp():
            # The caller's leg after asking: an offer already out must still be stoppable.
            holder.prompts.pop(event.call_id, None)
            return qi.CallerHungUp(event.call_id)
        case _:
            return None


def _music_file(music: str | None, tenant: str) -> str:
    """The engine's default music name ("moh") is the PBX's generated music on hold; an
    `announcement:<name>` is the tenant's own recording."""
    if music in (None, "moh"):
        return MUSIC_ON_HOLD
    return prompt_name(tenant, str(music)) or str(music)

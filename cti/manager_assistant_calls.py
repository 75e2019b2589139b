"""Manager/Assistant in the running product (docs/manager-assistant.md): the PBX's table kept
equal to provisioning, the filtered calls each manager and assistant sees (with their live
stream), the whisper spoken for each filtered call, and the `*47`/`*48` codes.

`FilteredCalls` hears each filtered call from the PBX (`ManagerAssistantTable.on_filtered`, hopped
from the SIP thread onto the loop) and follows it through the PBX's events: answered by the
assistant, put through to the manager, diverted, not answered, ended. It keeps the last
`KEEP_PER_MANAGER` per manager, in memory and in Redis (`FilteredCallsStore`, rewritten after
each change), so the lists survive a restart: a manager's stored list is read the first time it
is asked for or written. A call read back from before the restart is ended (the PBX's calls end
with the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from cti.feature_codes import FeatureCodeCalls
from cti.filtered_calls_store import KEEP_PER_MANAGER, FilteredCallsStore
from pbx_core import call_control as cc
from pbx_core.features import manager_assistant_phrases as say
from pbx_core.features.codes import Action, Dialled, Owner, parse_code
from pbx_core.features.manager_assistant import FilteredCall, ManagerAssistantTable
from pbx_core.features.phrases import spoken_language, unknown_code
from pbx_core.media.spoken import SpokenPrompts
from pbx_core.service import PbxService
from provisioning.errors import NotFound
from provisioning.manager_assistant_store import ENTITY, ManagerAssistantService
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from provisioning.user_services_store import UserServicesService

log = logging.getLogger(__name__)

LISTENER_BACKLOG = 100
"""A live stream this far behind is closed (the client reloads the list and reconnects)."""

Send = Callable[[cc.CallCommand], None]
Language = Callable[[str, str], str]
"""(tenant, extension) -> the user's language ("" when unknown). Blocking (SQL)."""


class Outcome(StrEnum):
    RINGING = "ringing"
    """Ringing at the assistant."""
    ANSWERED = "answered"
    """The assistant took it."""
    PUT_THROUGH = "put_through"
    """The assistant put it through to the manager."""
    DIVERTED = "diverted"
    """The assistant sent it elsewhere (another number, the manager's voicemail)."""
    NOT_ANSWERED = "not_answered"
    """The assistant did not answer: the manager's own handling took it."""


@dataclass
class Filtered:
    """One filtered call as the manager and its assistants see it."""

    call: FilteredCall
    at: datetime
    outcome: Outcome = Outcome.RINGING
    diverted_to: str = ""
    ended: bool = False
    answered_by: str = ""
    """The assistant who took it (all ring at once, the first to answer)."""
    unanswered: set[str] = field(default_factory=set)
    """The assistants whose ringing failed (all of them: not answered)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call.call_id,
            "at": self.at.isoformat(),
            "manager": self.call.manager,
            "assistant": self.answered_by or self.call.assistants[0],
            "assistants": list(self.call.assistants),
            "caller": self.call.caller,
            "caller_name": self.call.caller_name,
            "outcome": self.outcome.value,
            "diverted_to": self.diverted_to or None,
            "ended": self.ended,
        }

    @classmethod
    def restored(cls, tenant: str, data: dict[str, Any]) -> Filtered:
        """A call stored before a restart (`as_json`): ended, as every call of the old PBX."""
        assistants = tuple(str(a) for a in data["assistants"])
        call = FilteredCall(tenant, str(data["call_id"]), str(data["manager"]), assistants,
                            str(data["caller"]), str(data["caller_name"]))  # fmt: skip
        outcome = Outcome(data["outcome"])
        taken = outcome not in (Outcome.RINGING, Outcome.NOT_ANSWERED)
        return cls(call, datetime.fromisoformat(str(data["at"])), outcome,
                   str(data.get("diverted_to") or ""), ended=True,
                   answered_by=str(data["assistant"]) if taken else "")  # fmt: skip


@dataclass
class FilteredCalls:
    send: Send
    spoken: SpokenPrompts
    language: Language
    table: ManagerAssistantTable
    store: FilteredCallsStore
    _by_manager: dict[tuple[str, str], deque[Filtered]] = field(default_factory=dict)
    _by_call: dict[str, Filtered] = field(default_factory=dict)
    _listeners: dict[str, set[asyncio.Queue[Filtered | None]]] = field(default_factory=dict)
    _speaking: set[asyncio.Task[None]] = field(default_factory=set)
    _loaded: set[tuple[str, str]] = field(default_factory=set)
    """Managers whose stored list was read (merged into `_by_manager`)."""
    _dirty: set[tuple[str, str]] = field(default_factory=set)
    _saving: asyncio.Task[None] | None = None

    def wire(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hear the PBX's filtered calls on `loop` (the hook runs in the SIP thread)."""

        def hop(call: FilteredCall) -> None:
            loop.call_soon_threadsafe(self.filtered, call)

        self.table.on_filtered = hop

    def filtered(self, call: FilteredCall) -> None:
        entry = Filtered(call, datetime.now(UTC))
        key = (call.tenant, call.manager)
        self._by_manager.setdefault(key, deque(maxlen=KEEP_PER_MANAGER)).appendleft(entry)
        self._by_call[call.call_id] = entry
        self._changed(entry)
        task = asyncio.create_task(self._speak_whisper(call), name=f"whisper-{call.call_id}")
        self._speaking.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._speaking.discard)

    async def _speak_whisper(self, call: FilteredCall) -> None:
        """The manager hears who it is when the assistant puts the call through."""
        try:
            language = spoken_language(
                await asyncio.to_thread(self.language, call.tenant, call.manager)
            )
            text = say.whisper(call.caller, call.caller_name, language)
            path = await asyncio.to_thread(self.spoken.path, text, language)
        except Exception:
            log.exception("whisper of filtered call %s not spoken", call.call_id)
            return
        if call.call_id in self._by_call and not self._by_call[call.call_id].ended:
            self.table.set_whisper(call.call_id, str(path))

    async def on_call_event(self, event: cc.CallEvent) -> None:
        entry = self._by_call.get(event.call_id)
        if entry is None:
            return
        before = (entry.outcome, entry.diverted_to, entry.ended)
        if isinstance(event, cc.CallAnswered) and event.extension in entry.call.assistants:
            entry.outcome, entry.answered_by = Outcome.ANSWERED, event.extension
        elif isinstance(event, cc.CallTransferred):
            if event.target == entry.call.manager and entry.outcome is Outcome.ANSWERED:
                entry.outcome = Outcome.PUT_THROUGH
            else:
                entry.outcome, entry.diverted_to = Outcome.DIVERTED, event.target
        elif (
            isinstance(event, cc.OfferFailed)
            and event.extension in entry.call.assistants
            and entry.outcome is Outcome.RINGING
            and event.failure is not cc.OfferFailure.CANCELLED
        ):
            entry.unanswered.add(event.extension)
            if entry.unanswered >= set(entry.call.assistants):  # the last one too
                entry.outcome = Outcome.NOT_ANSWERED
        elif isinstance(event, cc.CallHungUp):
            entry.ended = True
            del self._by_call[event.call_id]
            self.table.forget(event.call_id)
        if (entry.outcome, entry.diverted_to, entry.ended) != before:
            self._changed(entry)

    async def of(self, tenant: str, managers: set[str]) -> list[Filtered]:
        """The filtered calls of these managers, newest first."""
        for manager in managers:
            await self._load(tenant, manager)
        found = [e for m in managers for e in self._by_manager.get((tenant, m), ())]
        return sorted(found, key=lambda e: e.at, reverse=True)

    def live(self, tenant: str, call_id: str) -> Filtered | None:
        """A filtered call of `tenant` still going on."""
        entry = self._by_call.get(call_id)
        return entry if entry is not None and entry.call.tenant == tenant else None

    @contextlib.contextmanager
    def listen(self, tenant: str) -> Iterator[asyncio.Queue[Filtered | None]]:
        """Each change of the tenant's filtered calls (None: fell behind, reconnect)."""
        queue: asyncio.Queue[Filtered | None] = asyncio.Queue()
        self._listeners.setdefault(tenant, set()).add(queue)
        try:
            yield queue
        finally:
            self._listeners[tenant].discard(queue)

    def _changed(self, entry: Filtered) -> None:
        """Tell the listeners; save the manager's list (one saver, in the order of changes:
        each write is the list as it is then)."""
        self._tell(entry)
        self._dirty.add((entry.call.tenant, entry.call.manager))
        if self._saving is None or self._saving.done():
            self._saving = asyncio.create_task(self._save(), name="filtered-calls-save")

    async def _save(self) -> None:
        while self._dirty:
            tenant, manager = key = self._dirty.pop()
            try:
                await self._load(tenant, manager)
                calls = [e.as_json() for e in self._by_manager.get(key, ())]
                await self.store.write(tenant, manager, calls)
            except Exception:  # the calls go on; the list is saved at its next change
                log.exception("filtered calls of %s/%s not saved", tenant, manager)

    async def _load(self, tenant: str, manager: str) -> None:
        """Merge the manager's stored list (from before a restart) under the calls since."""
        key = (tenant, manager)
        if key in self._loaded:
            return
        stored = await self.store.read(tenant, manager)
        if key in self._loaded:  # read meanwhile by another caller
            return
        self._loaded.add(key)
        now = self._by_manager.get(key, deque())
        known = {e.call.call_id for e in now}
        older = [Filtered.restored(tenant, d) for d in stored if d.get("call_id") not in known]
        merged = sorted([*now, *older], key=lambda e: e.at, reverse=True)
        self._by_manager[key] = deque(merged[:KEEP_PER_MANAGER], maxlen=KEEP_PER_MANAGER)

    def _tell(self, entry: Filtered) -> None:
        for queue in list(self._listeners.get(entry.call.tenant, ())):
            if queue.qsize() >= LISTENER_BACKLOG:
                self._listeners[entry.call.tenant].discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(entry)


@dataclass
class _CodeCall:
    task: asyncio.Task[None] | None = None
    final_prompt: str = ""


class ManagerAssistantCodes:
    """`*47[<manager>]` filtering on/off, `*48[<manager>]` an assistant opts in or out: answer,
    change, say the outcome, hang up."""

    def __init__(
        self, send: Send, service: ManagerAssistantService, spoken: SpokenPrompts,
        language: Language,
    ) -> None:  # fmt: skip
        self._send = send
        self._service = service
        self._spoken = spoken
        self._language = language
        self._calls: dict[str, _CodeCall] = {}

    async def on_call_event(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            self._send(cc.Answer(event.call_id))
            offered = self._calls[event.call_id] = _CodeCall()
            offered.task = asyncio.create_task(
                self._carry_out(event, offered), name=f"ma-{event.call_id}"
            )
            return
        call = self._calls.get(event.call_id)
        if call is None:
            return
        if isinstance(event, cc.CommandFailed) or (
            isinstance(event, cc.MediaFinished) and event.prompt == call.final_prompt
        ):
            self._send(cc.Hangup(event.call_id, code=200, reason="OK"))
        elif isinstance(event, cc.CallHungUp):
            del self._calls[event.call_id]
            if call.task is not None and not call.task.done():
                call.task.cancel()

    async def _carry_out(self, event: cc.CallOffered, call: _CodeCall) -> None:
        try:
            language = spoken_language(
                await asyncio.to_thread(self._language, event.tenant, event.caller)
            )
            text = await asyncio.to_thread(self._outcome, event, language)
            path = str(await asyncio.to_thread(self._spoken.path, text, language))
        except Exception:
            log.exception("manager/assistant code call %s failed", event.call_id)
            self._send(cc.Hangup(event.call_id, code=500, reason="Server Error"))
            return
        call.final_prompt = path
        self._send(cc.PlayPrompt(event.call_id, path))

    def _outcome(self, event: cc.CallOffered, language: str) -> str:
        """Blocking (SQL): do what the code asks, if the caller may; what to say."""
        parsed = parse_code(event.called)
        if not isinstance(parsed, Dialled):
            return unknown_code(parsed.spoken, language)
        tenant, me = event.tenant, event.caller
        manager = parsed.argument or self._own_manager(tenant, me)
        actor = f"phone:{me}"
        try:
            match parsed.entry.action:
                case Action.FILTERING_TOGGLE:
                    on = self._service.toggle_filter(actor, tenant, manager, me)
                    return say.filtering(on, manager, manager == me, language)
                case Action.ASSISTANT_OPT_TOGGLE:
                    view = self._service.manager(tenant, manager)
                    mine = [a for a in view.manager.assistants if a.extension == me]
                    if not mine:
                        return say.no_manager(manager, language)
                    self._service.opt(actor, tenant, manager, me, not mine[0].opted_in)
                    return say.opted(not mine[0].opted_in, manager, language)
                case _:
                    raise ValueError(f"{parsed.entry.action} is no manager/assistant code")
        except NotFound:
            return say.no_manager(manager, language)

    def _own_manager(self, tenant: str, me: str) -> str:
        """No manager dialled: the caller itself if it is one, else the one manager it assists
        ("" when it assists several or none)."""
        if any(v.manager.extension == me for v in self._service.managers(tenant)):
            return me
        assisted = self._service.assisted(tenant, me)
        return assisted[0].manager.extension if len(assisted) == 1 else ""


class LiveManagerAssistant:
    """The PBX's `ManagerAssistantTable`: every tenant at start-up, a tenant again after each
    of its manager/assistant changes."""

    def __init__(self, service: ManagerAssistantService, table: ManagerAssistantTable) -> None:
        self._service = service
        self._table = table
        service.subscribe(self._on_change)

    def load(self, tenant: str) -> None:
        """Blocking (SQL): call it off the event loop."""
        self._table.replace_tenant(tenant, [v.manager for v in self._service.managers(tenant)])

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            self.load(change.tenant)


@dataclass(frozen=True, slots=True)
class ManagerAssistant:
    """What the REST API needs (app.state.manager_assistant)."""

    service: ManagerAssistantService
    calls: FilteredCalls
    send: Send


def wire_manager_assistant(
    pbx: PbxService,
    provisioning: ProvisioningService,
    database: Engine,
    user_services: UserServicesService,
    feature_codes: FeatureCodeCalls,
    prompts_dir: Path,
    loop: asyncio.AbstractEventLoop,
    store: FilteredCallsStore,
) -> ManagerAssistant:
    """The PBX's table filled and kept current, filtered calls followed, the codes answered:
    the product's one call at start-up. Blocking (SQL): call it off the event loop, before the
    PBX starts; then run `follow(pbx, wired.calls)` on the loop."""
    service = ManagerAssistantService(database)
    live = LiveManagerAssistant(service, pbx.manager_assistant)
    for tenant in provisioning.tenant_ids():
        live.load(tenant)

    spoken = SpokenPrompts(prompts_dir / "spoken")  # the feature codes' cache
    calls = FilteredCalls(pbx.send, spoken, user_services.language, pbx.manager_assistant, store)
    calls.wire(loop)
    codes = ManagerAssistantCodes(pbx.send, service, spoken, user_services.language)
    feature_codes.delegates[Owner.MANAGER_ASSISTANT] = codes.on_call_event
    return ManagerAssistant(service, calls, pbx.send)


class CallEventSink(Protocol):
    async def on_call_event(self, event: cc.CallEvent) -> None: ...


async def follow(pbx: PbxService, calls: CallEventSink) -> None:
    """Feed every PBX event to `calls` (a task of the product's; Bel-me-nu's calls use it too)."""
    queue = pbx.subscribe()
    try:
        while True:
            event = await queue.get()
            try:
                await calls.on_call_event(event)
            except Exception:  # one bad event must not stop the lists for good
                log.exception("%s: %r failed", type(calls).__name__, event)
    finally:
        pbx.unsubscribe(queue)

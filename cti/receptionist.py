"""The receptionist console's backend (seed 3.2.3, docs/receptionist.md): which colleagues a
receptionist monitors (within the licence's tier), each colleague's live state, the company
directory, and the receptionist's own calls to transfer.

Presence comes from the same pure core as the phones' busy lamp field
(`pbx_core.presence.dialog_state`), fed here with `PbxService.events()`; do-not-disturb and
forwarding from the PBX's services table, signed in or out from the PBX's registrations.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias, assert_never

from redis.asyncio import Redis

from common.redis_keys import receptionist_monitored
from pbx_core import call_control as cc
from pbx_core.features.diversion import Forwarding
from pbx_core.presence.dialog_state import (
    Change,
    Dialog,
    DialogPhase,
    DialogStates,
    Direction,
    LineState,
    line_state,
)
from pbx_core.service import PbxService
from provisioning.errors import NotFound
from provisioning.service import ProvisioningService
from provisioning.users import Tier

log = logging.getLogger(__name__)

TIER_LIMITS: dict[Tier, int | None] = {Tier.BASIC: 8, Tier.STANDARD: 30, Tier.PREMIUM: None}
"""Monitored users per receptionist licence (seed 3.2.3); None: unlimited."""
TIER_NAMES = {Tier.BASIC: "Instap", Tier.STANDARD: "Standaard", Tier.PREMIUM: "Premium"}
DIRECTORY_RESULTS = 50
REFRESH_SECONDS = 3.0
"""How often tiles are looked at again for what no call event tells: a phone registering or
expiring, do-not-disturb or forwarding switched."""
LISTENER_QUEUE = 1000
"""Tile changes a console may lag behind; a slower one is dropped (it reconnects and reloads)."""


class TileState(StrEnum):
    IDLE = "idle"
    RINGING = "ringing"
    ON_CALL = "on_call"
    HELD = "held"
    DND = "dnd"
    FORWARDED = "forwarded"
    SIGNED_OUT = "signed_out"


class ConsoleError(Exception):
    """A refusal the console shows as it is: `code` for the client, `message` for the user."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class Tile:
    extension: str
    name: str
    state: TileState
    remote: str = ""
    """Who the colleague talks to or is rung by (number), when on a call or ringing."""
    remote_name: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "extension": self.extension,
            "name": self.name,
            "state": self.state,
            "remote": self.remote,
            "remoteName": self.remote_name,
        }


def tile_state(dialogs: tuple[Dialog, ...], services: Forwarding, registered: bool) -> TileState:
    """Calls first (what the colleague does now), then what callers would meet: do not disturb,
    forwarded always, no phone signed in."""
    line = line_state(dialogs)
    match line:
        case LineState.RINGING:
            return TileState.RINGING
        case LineState.BUSY:
            return TileState.ON_CALL
        case LineState.HELD:
            return TileState.HELD
        case LineState.IDLE:
            pass
        case _:
            assert_never(line)
    if services.do_not_disturb:
        return TileState.DND
    if services.forward_always:
        return TileState.FORWARDED
    return TileState.IDLE if registered else TileState.SIGNED_OUT


@dataclass(frozen=True, slots=True)
class Actions:
    """What one receptionist's own call actions are now (`cti/receptionist_calls.py`): the
    stream sends it to that receptionist's console alone."""

    extension: str
    payload: dict[str, Any]


Streamed: TypeAlias = Tile | Actions | None
"""A console stream's item; None: it fell behind and ends."""
Follower: TypeAlias = Callable[[cc.CallEvent, list[Change]], None]


class ReceptionistConsole:
    def __init__(
        self, pbx: PbxService, provisioning: ProvisioningService, redis: Redis, prefix: str
    ) -> None:
        self._pbx = pbx
        self._provisioning = provisioning
        self._redis = redis
        self._prefix = prefix
        self.states = DialogStates()
        self._listeners: dict[str, set[asyncio.Queue[Streamed]]] = {}
        self._shown: dict[tuple[str, str], Tile] = {}
        """The last tile sent per line (of tenants with a console open)."""
        self._followers: list[Follower] = []

    def follow(self, follower: Follower) -> None:
        """`follower` gets every PBX call event with the dialogs it changed, after the presence
        took it in (the call actions watch their calls and colleagues' lines, the history
        logs the calls that ring a receptionist)."""
        self._followers.append(follower)

    async def run(self) -> None:
        """Follow every PBX call event, and look again every few seconds at what no call event
        tells (a task for the product's life)."""
        refresh = asyncio.create_task(self._refresh_forever(), name="receptionist-refresh")
        try:
            async for event in self._pbx.events():
                try:
                    changes = self.states.apply(event)
                    for change in changes:
                        self._publish(change.tenant, change.extension)
                    for follower in self._followers:
                        follower(event, changes)
                except Exception:
                    log.exception("receptionist presence failed on %r", event)
        finally:
            refresh.cancel()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            for tenant in [t for t, listeners in self._listeners.items() if listeners]:
                directory = self._pbx.directories.of_tenant(tenant)
                for extension in directory.users if directory is not None else ():
                    try:
                        self._publish(tenant, extension)
                    except Exception:
                        log.exception("receptionist refresh of %s/%s failed", tenant, extension)

    def _publish(self, tenant: str, extension: str) -> None:
        if not self._listeners.get(tenant):
            return
        tile = self.tile(tenant, extension)
        if self._shown.get((tenant, extension)) == tile:
            return
        self._shown[(tenant, extension)] = tile
        self.push(tenant, tile)

    def push(self, tenant: str, item: Tile | Actions) -> None:
        """`item` to every open console of the tenant (each stream sends what is its own)."""
        listeners = self._listeners.get(tenant, set())
        for queue in list(listeners):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                listeners.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)  # tells the stream to end: the console reloads

    @contextlib.contextmanager
    def listen(self, tenant: str) -> Any:
        """A queue of the tenant's tile changes and call actions while the `with` lasts (None:
        fell behind)."""
        queue: asyncio.Queue[Streamed] = asyncio.Queue(LISTENER_QUEUE)
        listeners = self._listeners.setdefault(tenant, set())
        if not listeners:  # nothing was sent while nobody listened
            self._shown = {k: v for k, v in self._shown.items() if k[0] != tenant}
        listeners.add(queue)
        try:
            yield queue
        finally:
            listeners.discard(queue)

    # -----------------------------------------------------------------------------------------
    # Tiles and directory

    def tile(self, tenant: str, extension: str) -> Tile:
        user = self._pbx.directories.user(tenant, extension)
        name = user.display_name if user is not None else ""
        dialogs = self.states.dialogs(tenant, extension)
        registered = self._pbx.registration(extension, tenant) is not None
        state = tile_state(dialogs, self._pbx.user_services.get(tenant, extension), registered)
        shown = _shown_dialog(dialogs)
        if shown is None:
            return Tile(extension, name, state)
        return Tile(extension, name, state, shown.remote, shown.remote_name)

    def directory(self, tenant: str, query: str, watcher: str | None) -> list[Tile]:
        """The tenant's users whose name or extension contains `query` (case-insensitive),
        without those whose Privacy leaves `watcher` (the searcher's extension) out."""
        directory = self._pbx.directories.of_tenant(tenant)
        if directory is None:
            return []
        needle = query.strip().lower()
        services = self._pbx.user_services
        found = sorted(
            (
                u
                for u in directory.users.values()
                if _matches(needle, u.extension, u.display_name)
                and services.get(tenant, u.extension).visible_to(watcher, u.extension)
            ),
            key=lambda u: (u.display_name.lower(), u.extension),
        )
        return [self.tile(tenant, u.extension) for u in found[:DIRECTORY_RESULTS]]

    # -----------------------------------------------------------------------------------------
    # Licence and monitored users

    async def tier(self, tenant: str, username: str) -> Tier:
        try:
            user = await asyncio.to_thread(self._provisioning.user, tenant, username)
        except NotFound:
            user = None
        tier = user.licences.receptionist if user is not None else None
        if tier is None:
            raise ConsoleError(
                403, "no_licence", "this user has no receptionist licence (Instap, Standaard or "
                "Premium)"
            )  # fmt: skip
        return tier

    async def monitored(self, tenant: str, username: str) -> list[str]:
        raw = await self._redis.get(receptionist_monitored(self._prefix, tenant, username))
        extensions: list[str] = json.loads(raw) if raw else []
        # Users removed since keep no tile.
        return [e for e in extensions if self._pbx.directories.user(tenant, e) is not None]

    async def set_monitored(self, tenant: str, username: str, extensions: list[str]) -> list[str]:
        tier = await self.tier(tenant, username)
        wanted = list(dict.fromkeys(extensions))
        limit = TIER_LIMITS[tier]
        if limit is not None and len(wanted) > limit:
            raise ConsoleError(
                403,
                "tier_limit",
                f"the {TIER_NAMES[tier]} receptionist licence monitors at most {limit} users "
                f"({len(wanted)} asked): Standaard monitors 30, Premium any number",
            )
        unknown = [e for e in wanted if self._pbx.directories.user(tenant, e) is None]
        if unknown:
            raise ConsoleError(422, "unknown_user", f"no user with extension {unknown[0]}")
        key = receptionist_monitored(self._prefix, tenant, username)
        await self._redis.set(key, json.dumps(wanted))
        return wanted

    # -----------------------------------------------------------------------------------------
    # The receptionist's own calls

    def own_call(self, tenant: str, extension: str) -> Dialog:
        """The call the receptionist's phone has now: the answered one, else the ringing one."""
        dialogs = [
            d
            for d in self.states.dialogs(tenant, extension)
            if d.direction is Direction.RECIPIENT and d.leg_id
        ]
        for phase in (DialogPhase.CONFIRMED, DialogPhase.EARLY):
            for dialog in dialogs:
                if dialog.phase is phase:
                    return dialog
        raise ConsoleError(409, "no_call", "your phone has no incoming call to transfer")

    def answered_call(self, tenant: str, extension: str) -> Dialog:
        """The call the receptionist's phone has answered (an incoming one)."""
        for dialog in self.states.dialogs(tenant, extension):
            if (
                dialog.direction is Direction.RECIPIENT
                and dialog.leg_id
                and dialog.phase is DialogPhase.CONFIRMED
            ):
                return dialog
        raise ConsoleError(409, "no_call", "your phone has no answered incoming call")

    def colleague(self, tenant: str, extension: str, target: str) -> str:
        """`target` checked: a user of the receptionist's own tenant, not the receptionist."""
        if self._pbx.directories.user(tenant, target) is None:
            raise ConsoleError(422, "unknown_user", f"no user with extension {target}")
        if target == extension:
            raise ConsoleError(422, "bad_target", "that is your own extension")
        return target

    def is_call_center(self, tenant: str, number: str) -> bool:
        return self._pbx.directories.is_call_center(tenant, number)

    def transfer(self, tenant: str, extension: str, target: str) -> str:
        """Blind transfer of the receptionist's incoming call to `target` (an extension of the
        tenant, or an outside number when the tenant may call out)."""
        dialog = self.own_call(tenant, extension)
        if target == extension:
            raise ConsoleError(422, "bad_target", "the call is already yours")
        self.send(cc.Transfer(dialog.call_id, target))
        return dialog.call_id

    def answer(self, tenant: str, extension: str) -> str:
        """Answer the call ringing at the receptionist's phone from the browser: the PBX offers
        it to the phone again with the auto-answer hint (`Call-Info: answer-after=0`), which
        the phone honours by answering at once (as the agent client's calls are answered)."""
        ringing = [
            d
            for d in self.states.dialogs(tenant, extension)
            if d.direction is Direction.RECIPIENT and d.leg_id and d.phase is DialogPhase.EARLY
        ]
        if not ringing:
            raise ConsoleError(409, "no_call", "your phone has no ringing call to answer")
        self.send(cc.Transfer(ringing[0].call_id, extension, auto_answer=True))
        return ringing[0].call_id

    def to_voicemail(self, tenant: str, extension: str, target: str) -> str:
        """The call on the receptionist's phone (answered, else ringing) straight into
        `target`'s voicemail: the receptionist's phone is let go, the caller hears `target`'s
        greeting and leaves a message. A call center's call stays with its queue."""
        if self._pbx.directories.user(tenant, target) is None:
            raise ConsoleError(422, "unknown_user", f"no user with extension {target}")
        dialog = self.own_call(tenant, extension)
        if self.is_call_center(tenant, self.states.called(dialog.call_id) or ""):
            raise ConsoleError(409, "queue_call", "a call center's call stays with its queue")
        self.send(cc.Transfer(dialog.call_id, target, to_voicemail=True))
        return dialog.call_id

    def send(self, command: cc.CallCommand) -> None:
        try:
            self._pbx.send(command)
        except RuntimeError as error:
            raise ConsoleError(503, "pbx_unavailable", str(error)) from error


def _shown_dialog(dialogs: tuple[Dialog, ...]) -> Dialog | None:
    for phase in (DialogPhase.CONFIRMED, DialogPhase.EARLY):
        for dialog in dialogs:
            if dialog.phase is phase:
                return dialog
    return None


def _matches(needle: str, extension: str, name: str) -> bool:
    return not needle or needle in extension or needle in name.lower()

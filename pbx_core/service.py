"""`PbxService`: the facade the asyncio application uses to run and drive the PBX.

    pbx = PbxService(PbxConfig(sip_port=5060, rtpengine=...), Directories.of([...]))
    pbx.register_handler(queue_adapter.on_call_event)        # calls to 7001-7003
    await pbx.start()
    ...                                                        # in the handler:
    pbx.send(Answer(call_id)); pbx.send(PlayPrompt(call_id, "welcome_nl", then_music=True))
    await pbx.stop()

The SIP stack runs in its own thread (`pbx_core.sip.stack`); commands hop to it with
`ED2.callFromThread`, events come back with `loop.call_soon_threadsafe` and are delivered in
order, one at a time, by a single dispatcher task.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from redis import Redis

from common.redis_connect import sync_client
from pbx_core import call_control as cc
from pbx_core.config import PbxConfig
from pbx_core.directory import Directories, Directory
from pbx_core.fax.part import FaxSettings
from pbx_core.features.alternates import AlternatesTable
from pbx_core.features.hoteling import HotelingTable
from pbx_core.features.intercom import IntercomTable
from pbx_core.features.manager_assistant import ManagerAssistantTable
from pbx_core.features.pickup_groups import PickupGroupsTable
from pbx_core.features.ringback import RingbackTable
from pbx_core.features.rooms import Participant, RoomsTable
from pbx_core.features.speed_dial import SpeedDialTable
from pbx_core.features.table import ServicesTable
from pbx_core.location import Binding, LocationStore
from pbx_core.media.ng_client import NgClient
from pbx_core.media.prompts import prompt_path
from pbx_core.media.restart_watch import RestartWatchTask
from pbx_core.presence.blf import BusyLampField, sip_dialog_ids
from pbx_core.recording.files import safe_file_name
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.calls import CallManager
from pbx_core.sip.calls.dialog_takeover import DialogKeeper
from pbx_core.sip.calls.shared_appearance import devices_allowed
from pbx_core.sip.carrier_registration import CarrierRegistrations, RegistrationStatus
from pbx_core.sip.dialog_store import DialogStore, StoredDialog
from pbx_core.sip.digest import DigestAuth
from pbx_core.sip.dtmf_feed import DtmfFeed
from pbx_core.sip.listeners import StreamListeners
from pbx_core.sip.peer import add_relay, remove_relay
from pbx_core.sip.registrar import Registrar
from pbx_core.sip.router import SipRouter
from pbx_core.sip.stack import COUNTERS, SipThread
from pbx_core.sip.subscriptions import Subscriptions
from pbx_core.sip.tcp_transport import TcpTransportGateway
from pbx_core.sip.tls_transport import TlsTransportGateway
from pbx_core.sip.ws_transport import WsTransportGateway
from pbx_core.trunks.alerts import AlertSink, TenantAlert
from pbx_core.trunks.routing import TrunkRouting
from pbx_core.voicemail.deposit import VoicemailSettings
from pbx_core.voicemail.mwi import MessageWaiting

log = logging.getLogger(__name__)

SIP_THREAD_REDIS_SECONDS = 2.0
"""The longest the SIP thread waits for Redis (bindings, stored dialogs): an unreachable Redis
costs the request at hand an error (a call ends 500, a dialog is not stored), never every call
frozen until Redis answers again (docs/deploy.md, "Redis unreachable")."""

_STOP = object()

DIALOG_CHECK_SECONDS = 2.0
"""How long a restarted PBX waits for the callers' answers to the check of their dialogs."""


class PbxService:
    def __init__(
        self,
        config: PbxConfig,
        directories: Directories | Directory,
        redis: Redis | None = None,
        on_recording_finished: Callable[[Path], None] | None = None,
        voicemail: VoicemailSettings | None = None,
        fax: FaxSettings | None = None,
    ) -> None:
        """`directories`: every tenant's, or one `Directory` for a PBX of one company.
        `on_recording_finished(metadata_path)`: a recorded call ended and its metadata JSON
        is written (the product puts the archiving on an rq queue there).
        `voicemail`: where unanswered extension calls leave messages (None: no voicemail).
        `fax`: where `ReceiveFax` calls put their pages and report (None: no fax receiver)."""
        self.config = config
        self._on_recording_finished = on_recording_finished
        self._voicemail = voicemail
        self._fax = fax
        self.directories = (
            Directories.of([directories]) if isinstance(directories, Directory) else directories
        )
        self.trunks = TrunkRouting.of(config.outbound_trunk)
        """Direct numbers, carrier, calling plans (`update_trunks`)."""
        self._owns_redis = redis is None
        self._redis = (
            redis
            if redis is not None
            else sync_client(
                config.redis_url,
                socket_timeout=SIP_THREAD_REDIS_SECONDS,
                socket_connect_timeout=SIP_THREAD_REDIS_SECONDS,
            )
        )
        # Made here, not in start(): bindings can be saved and read before the PBX runs.
        self.locations = self._open_locations()
        self.user_services = ServicesTable()
        """Forwarding and do-not-disturb per user, kept current by the application."""
        self.rooms = RoomsTable()
        """The conference bridge's rooms per tenant, kept current by the application."""
        self.hoteling = HotelingTable()
        """Hoteling guests on host phones, kept current by the application."""
        self.manager_assistant = ManagerAssistantTable()
        """Managers' call filtering to their assistants, kept current by the application."""
        self.pickup_groups = PickupGroupsTable()
        """Call pickup groups (features/pickup_groups.py): the application fills it."""
        self.intercom = IntercomTable()
        """Who accepts whose intercom calls (features/intercom.py): the application fills it."""
        self.speed_dials = SpeedDialTable()
        """Users' speed dial lists, kept current by the application."""
        self.alternates = AlternatesTable()
        """Users' alternate numbers, kept current by the application."""
        self.ringbacks = RingbackTable()
        """Users' custom ringback prompts, kept current by the application."""
        self._handlers: dict[str, cc.CallHandler] = {}
        self._default_handler: cc.CallHandler | None = None
        self._subscribers: list[asyncio.Queue[cc.CallEvent]] = []
        self._alert_listeners: list[AlertSink] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._dtmf_transport: asyncio.DatagramTransport | None = None
        self._media_watch: RestartWatchTask | None = None
        """Restarts the loops a restarted rtpengine lost (media/restart_watch.py)."""
        self._stack: SipThread | None = None
        self._listeners: StreamListeners | None = None
        self._calls: CallManager | None = None
        self._registrar: Registrar | None = None
        self._subscriptions: Subscriptions | None = None
        self._mwi: MessageWaiting | None = None
        self._carrier_registrations: CarrierRegistrations | None = None
        self._blf: BusyLampField | None = None
        self.auth_throttle: AuthThrottle | None = None
        """Failed authentications and bans while the PBX runs (`counts()` for /metrics)."""
        self._media: NgClient | None = None
        self._dialogs = DialogStore(self._redis, config.key_prefix) if config.keep_dialogs else None
        self._token = 0
        """This node's fencing token, from the store at the first `stored_dialogs` or start."""

    # -----------------------------------------------------------------------------------------
    # Wiring

    def register_handler(
        self, handler: cc.CallHandler, numbers: Iterable[str] | None = None
    ) -> None:
        """Let `handler` decide about calls to `numbers` (default: every call-center number of
        the directory). It gets each such call's events, in order, in the asyncio loop; it may
        be a plain function or a coroutine function."""
        if numbers is None:
            self._default_handler = handler
            return
        for number in numbers:
            self._handlers[number] = handler

    def subscribe(self) -> asyncio.Queue[cc.CallEvent]:
        """Every event of every call (extension calls too), for observers such as the CTI."""
        queue: asyncio.Queue[cc.CallEvent] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    def on_alert(self, listener: AlertSink) -> None:
        """`listener` hears each alert for a tenant's admins (toll-fraud guard, call capacity),
        in the asyncio loop (`trunks/alerts.py`)."""
        self._alert_listeners.append(listener)

    def _alert_from_sip_thread(self, alert: TenantAlert) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or not self._alert_listeners:
            return
        loop.call_soon_threadsafe(self._tell_alert, alert)

    def _tell_alert(self, alert: TenantAlert) -> None:
        for listener in self._alert_listeners:
            try:
                listener(alert)
            except Exception:
                log.exception("alert listener failed on %r", alert)

    def unsubscribe(self, queue: asyncio.Queue[cc.CallEvent]) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    async def events(self) -> AsyncIterator[cc.CallEvent]:
        queue = self.subscribe()
        try:
            while True:
                yield await queue.get()
        finally:
            self.unsubscribe(queue)

    # -----------------------------------------------------------------------------------------
    # Life cycle

    async def stored_dialogs(self) -> list[StoredDialog]:
        """The dialogs a previous PBX process kept (before `start`: the engine runtime must know
        which of its calls still have a caller before it ends the others as lost)."""
        if self._dialogs is None:
            return []
        if not self._token:
            self._token = await asyncio.to_thread(self._dialogs.next_token)
        return await asyncio.to_thread(self._dialogs.load, self._token)

    async def take_over(self, dialogs: Sequence[StoredDialog]) -> list[str]:
        """Rebuild those calls in the running PBX; the ids of the calls it holds again: those
        whose caller did not answer the check of its dialog with 481 within `DIALOG_CHECK_SECONDS`
        (an unanswered check keeps the call: the caller may only be slow)."""
        stack, calls = self._stack, self._calls
        assert stack is not None and calls is not None, "start() first"
        taken = await asyncio.to_thread(stack.call_sync, calls.take_over, dialogs)
        deadline = time.monotonic() + DIALOG_CHECK_SECONDS
        while time.monotonic() < deadline and None in calls.dialog_checks.values():
            await asyncio.sleep(0.05)
        gone = set(await asyncio.to_thread(stack.call_sync, calls.drop_forgotten_dialogs))
        return [call_id for call_id in taken if call_id not in gone]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._dialogs is not None and not self._token:
            self._token = await asyncio.to_thread(self._dialogs.next_token)
        # First: a certificate that cannot be used (TlsConfigError) leaves nothing half-started.
        listeners = StreamListeners(self.config)
        if self.locations.closed:  # stopped before: a cache that follows changes again
            self.locations = self._open_locations()
        if self.config.rtpengine is not None:
            self._media = NgClient(self.config.rtpengine.host, self.config.rtpengine.ng_port)
        stack = SipThread(self.config.sip_host, self.config.sip_port, self._build_router)
        starting = asyncio.ensure_future(asyncio.to_thread(stack.start))
        try:
            await asyncio.shield(starting)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                # A thread cannot be cancelled: the stack starts anyway, and left running it
                # would hold ED2 (one per process) from every later start. Stop it once up.
                with contextlib.suppress(Exception):
                    await starting
                    await asyncio.to_thread(stack.stop)
            if self._media is not None:
                self._media.close()
                self._media = None
            raise
        self._stack = stack
        self._listeners = listeners
        for proxy in self.config.edge_proxies:
            add_relay(proxy)
        try:
            await listeners.start()
            await self.update_trunks(self.trunks)  # TCP/TLS trunks given before the start
            self._dispatcher = asyncio.create_task(self._dispatch(), name="pbx-events")
            if self.config.rtpengine is not None:
                engine = self.config.rtpengine
                self._media_watch = RestartWatchTask(
                    engine.host, engine.ng_port, self._media_restarted
                )
            if self.config.dtmf_listen_port is not None:
                self._dtmf_transport, _ = await self._loop.create_datagram_endpoint(
                    lambda: DtmfFeed(self._on_rtp_dtmf),
                    local_addr=(self.config.sip_host, self.config.dtmf_listen_port),
                )
        except BaseException:  # cancelled too: nothing of a half start stays running
            await asyncio.shield(self.stop())
            raise

    def _build_router(self, global_config: dict[str, Any]) -> SipRouter:
        """Runs in the SIP thread: every sippy object is created there."""
        prompts_dir = self.config.prompts_dir.resolve()
        credentials = self.config.browser_credentials
        auth = DigestAuth(extra_passwords=credentials.passwords if credentials else None)
        throttle = self.auth_throttle = AuthThrottle(self.config.auth_throttle)
        subscriptions = self._subscriptions = Subscriptions(
            global_config, self.directories, self.config.realm, auth, throttle
        )
        self._mwi = MessageWaiting(subscriptions.changed)
        self._blf = BusyLampField(
            subscriptions.changed,
            lambda dialog: sip_dialog_ids(self._calls.calls if self._calls else {}, dialog),
            self.user_services,
        )
        subscriptions.serve(self._mwi)
        subscriptions.serve(self._blf)
        self._calls = CallManager(
            global_config,
            self.directories,
            self.locations,
            self._emit_with_presence,
            realm=self.config.realm,
            auth=auth,
            throttle=throttle,
            media=self._media,
            prompt_path=lambda name: str(prompt_path(prompts_dir, name)),
            extension_ring_timeout=self.config.extension_ring_timeout,
            max_calls_per_extension=self.config.max_calls_per_extension,
            park_timeout=self.config.park_timeout,
            trunks=self.trunks,
            recording_sink=self._write_recording_metadata
            if self.config.recordings_dir is not None
            else None,
            user_services=self.user_services,
            rooms=self.rooms,
            hoteling=self.hoteling,
            manager_assistant=self.manager_assistant,
            pickup_groups=self.pickup_groups,
            intercom=self.intercom,
            speed_dials=self.speed_dials,
            alternates=self.alternates,
            ringbacks=self.ringbacks,
            voicemail=self._voicemail,
            fax=self._fax,
            alert=self._alert_from_sip_thread,
            dialogs=DialogKeeper(self._dialogs, self._token),
        )
        self._registrar = Registrar(
            self.directories,
            self.locations,
            self.config.realm,
            auth,
            throttle,
            lambda tenant, extension: devices_allowed(self.user_services.get(tenant, extension)),
        )
        registrations = self._carrier_registrations = CarrierRegistrations(
            global_config, self.config.carrier_registration
        )
        registrations.configure(self.trunks.registering)
        return SipRouter(self._registrar, self._calls, throttle, subscriptions)

    async def stop(self) -> None:
        for proxy in self.config.edge_proxies:
            remove_relay(proxy)
        if self._media_watch is not None:
            await self._media_watch.stop()
            self._media_watch = None
        if self._listeners is not None:
            await self._listeners.stop()
        if self._stack is not None:
            if self._calls is not None:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._stack.call_sync, self._hang_up_everything)
            if self._carrier_registrations is not None:
                with contextlib.suppress(Exception):  # unregistering is a courtesy
                    await asyncio.to_thread(self._stack.call_sync,
                                            self._carrier_registrations.stop)  # fmt: skip
                self._carrier_registrations = None
            await asyncio.to_thread(self._stack.stop)
            self._stack = None
        if self._dtmf_transport is not None:
            self._dtmf_transport.close()
            self._dtmf_transport = None
        if self._dispatcher is not None:
            self._inbox.put_nowait(_STOP)
            await self._dispatcher
            self._dispatcher = None
        if self._media is not None:
            self._media.close()
            self._media = None
        await asyncio.to_thread(self._close_locations)

    def _open_locations(self) -> LocationStore:
        return LocationStore(
            self._redis, self.config.key_prefix, cache_seconds=self.config.binding_cache_seconds
        )

    def _close_locations(self) -> None:
        """The store and (unless it was passed in) the Redis client are this service's own.
        Both stay usable afterwards, uncached and reconnecting: `locations` may be used before
        start() and after stop()."""
        self.locations.close()
        if self._owns_redis:
            self._redis.close()

    def _media_restarted(self) -> None:
        if self._stack is not None and self._calls is not None:
            self._stack.call(self._calls.media_restarted)

    def _hang_up_everything(self) -> None:
        assert self._calls is not None
        self._calls.hang_up_all()

    # -----------------------------------------------------------------------------------------
    # Commands in

    def send(self, command: cc.CallCommand) -> None:
        """Queue a command for the SIP thread (from any thread; never blocks). Problems come
        back as `CommandFailed` events."""
        if self._stack is None or self._calls is None:
            raise RuntimeError("PBX is not running")
        self._stack.call(self._calls.execute, command)

    def sip_transactions(self) -> float:
        """SIP transactions in progress, for /metrics (safe from any thread)."""
        return float(self._stack.transactions()) if self._stack is not None else 0.0

    def sip_auth_counts(self) -> dict[str, int]:
        """Failed authentications, bans, and addresses banned now, for /metrics (any thread)."""
        throttle = self.auth_throttle
        if throttle is None:
            return {"failures": 0, "bans": 0, "banned_now": 0}
        counts = throttle.counts()
        return {"failures": counts.failures, "bans": counts.bans, "banned_now": counts.banned_now}

    def sip_messages(self) -> dict[str, int]:
        """SIP messages received and sent since the PBX started, for /metrics."""
        return {"received": COUNTERS.received, "sent": COUNTERS.sent}

    async def active_calls(self) -> list[str]:
        """Call ids the PBX holds right now (read in the SIP thread)."""
        if self._stack is None or self._calls is None:
            return []
        calls = self._calls
        result: list[str] = await asyncio.to_thread(
            self._stack.call_sync, lambda: list(calls.calls)
        )
        return result

    async def bridge_participants(self, tenant: str, number: str) -> list[Participant]:
        """Who is in the conference bridge room `number` of `tenant` now (read in the SIP
        thread); empty without a meeting."""
        if self._stack is None or self._calls is None:
            return []
        rooms = self._calls.bridge_rooms
        result: list[Participant] = await asyncio.to_thread(
            self._stack.call_sync, lambda: rooms.participants(tenant, number)
        )
        return result

    async def mute_bridge(self, tenant: str, number: str, muted: bool) -> bool:
        """Mute all (but the moderators) in room `number`, or unmute; False: no meeting."""
        if self._stack is None or self._calls is None:
            return False
        rooms = self._calls.bridge_rooms
        done: bool = await asyncio.to_thread(
            self._stack.call_sync, lambda: rooms.mute_all(tenant, number, muted)
        )
        return done

    async def update_directory(self, directory: Directory) -> None:
        """A tenant was added, or its users, passwords, recording modes, call-center numbers or
        SIP domain changed: applies to new requests at once, calls in progress keep going."""
        await self.set_directories(self.directories.with_tenant(directory))

    async def remove_tenant(self, tenant: str) -> None:
        """The tenant is gone: its phones can no longer register or call."""
        await self.set_directories(self.directories.without_tenant(tenant))

    async def set_directories(self, directories: Directories) -> None:
        self.directories = directories
        if self._stack is None or self._calls is None or self._registrar is None:
            return
        calls, registrar, subscriptions = self._calls, self._registrar, self._subscriptions

        def swap() -> None:
            calls.set_directories(directories)
            registrar.set_directories(directories)
            if subscriptions is not None:
                subscriptions.set_directories(directories)

        await asyncio.to_thread(self._stack.call_sync, swap)

    def set_message_counts(self, tenant: str, extension: str, new: int, old: int) -> None:
        """A voicemail box's counts (from any thread): subscribed phones get a NOTIFY."""
        if self._stack is not None and self._mwi is not None:
            self._stack.call(self._mwi.set_counts, tenant, extension, new, old)

    async def update_trunks(self, trunks: TrunkRouting) -> None:
        """Direct numbers, the carrier or calling plans changed: new calls use them at once
        (a TCP/TLS trunk through its connector)."""
        connectors = self._listeners.carriers if self._listeners is not None else None
        if connectors is not None:
            trunks = await connectors.route(trunks)
        self.trunks = trunks
        if self._stack is None or self._calls is None:
            return
        calls, registrations = self._calls, self._carrier_registrations

        def install() -> None:
            calls.set_trunks(trunks)
            if registrations is not None:
                registrations.configure(trunks.registering)

        await asyncio.to_thread(self._stack.call_sync, install)

    def carrier_registrations(self) -> tuple[RegistrationStatus, ...]:
        """Every registering trunk's state now (from any thread; /metrics, the admin API)."""
        registrations = self._carrier_registrations
        return () if registrations is None else registrations.statuses()

    def registration(self, extension: str, tenant: str = cc.DEFAULT_TENANT) -> Binding | None:
        return self.locations.lookup(tenant, extension)

    @property
    def ws_gateway(self) -> WsTransportGateway | None:
        """The SIP-over-WebSocket listener while the PBX runs with `sip_ws_port`."""
        return self._listeners.ws if self._listeners is not None else None

    @property
    def wss_gateway(self) -> WsTransportGateway | None:
        """The secure (TLS) one while the PBX runs with `sip_wss_port`."""
        return self._listeners.wss if self._listeners is not None else None

    @property
    def tls_gateway(self) -> TlsTransportGateway | None:
        """The SIP-over-TLS listener while the PBX runs with `sip_tls`."""
        return self._listeners.tls if self._listeners is not None else None

    @property
    def tcp_gateway(self) -> TcpTransportGateway | None:
        """The SIP-over-TCP listener while the PBX runs with `sip_tcp`."""
        return self._listeners.tcp if self._listeners is not None else None

    # -----------------------------------------------------------------------------------------
    # Events out

    def _emit_with_presence(self, event: cc.CallEvent, route: str | None) -> None:
        """The busy lamp field hears every call event first, in the SIP thread (its NOTIFYs
        need no hop to asyncio and back)."""
        if self._blf is not None:
            try:
                self._blf.on_event(event)
            except Exception:
                log.exception("busy lamp field failed on %r", event)
        self._emit_from_sip_thread(event, route)

    def _emit_from_sip_thread(self, event: cc.CallEvent, route: str | None) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        if route is None and not self._subscribers:
            return  # nobody listens: spare the asyncio thread a wake-up (extension calls)
        self._loop.call_soon_threadsafe(self._inbox.put_nowait, (event, route))

    async def _dispatch(self) -> None:
        while True:
            item = await self._inbox.get()
            if item is _STOP:
                return
            event, route = item
            for queue in self._subscribers:
                queue.put_nowait(event)
            if route is None:
                continue
            handler = self._handlers.get(route, self._default_handler)
            if handler is None:
                if isinstance(event, cc.CallOffered):
                    log.warning("no handler for %s: refusing call %s", route, event.call_id)
                    self.send(cc.Reject(event.call_id, 480, "Temporarily Unavailable"))
                continue
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("call handler failed on %r", event)

    def _on_rtp_dtmf(self, call_id: str, source_tag: str, digit: str) -> None:
        if self._stack is not None and self._calls is not None:
            self._stack.call(self._calls.on_rtp_dtmf, call_id, source_tag, digit)

    # -----------------------------------------------------------------------------------------
    # Recording metadata

    def _write_recording_metadata(self, metadata: dict[str, Any]) -> None:
        assert self.config.recordings_dir is not None
        meta_dir = Path(self.config.recordings_dir) / "calls"
        meta_dir.mkdir(parents=True, exist_ok=True)
        meta_path = meta_dir / f"{safe_file_name(metadata['call_id'])}.json"
        meta_path.write_text(json.dumps(metadata | {"ended_at": time.time()}))
        if self._on_recording_finished is not None:
            try:
                self._on_recording_finished(meta_path)
            except Exception:
                # Redis gone, say: the JSON stays, and the nightly sweep enqueues it again.
                log.exception("recording of %s not queued", metadata["call_id"])

"""The whole product in one process: PBX (sippy + rtpengine), queue engine runtime, CTI web
server (REST, GraphQL, browser clients), CRM screen-pop, and beside it an rq worker.

`python -m cti.demo` (what `make demo` runs, under `cti/node_supervisor.py`) calls
`run_product` with `ProductSettings.from_env(demo=True)`; `python -m cti.run` (production) with
`demo=False`.
Tests start it the same way on free ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from common.dependencies import check_patched_versions
from common.job_queues import job_queue
from common.redis_connect import async_client, sync_client
from common.redis_keys import DEFAULT_PREFIX, pbx_prefix
from common.supervision import Supervisor
from crm_connectors.index import CrmIndex
from crm_connectors.metrics import DEFAULT_COUNTER as CRM_ERRORS
from crm_connectors.opencti import adapter_app
from crm_connectors.sealing import KEY_ENV
from crm_connectors.service import CallLogger, ScreenPopService, seed_demo_crm
from cti.app import create_app
from cti.belmenu_calls import BelmenuCalls
from cti.bridge_rooms_live import LiveRooms, publish_moves
from cti.browser_phone import (
    DEFAULT_WSS_PORT,
    browser_phone_pbx_settings,
    install_browser_phone,
)
from cti.call_handling_events import CallHandlingEvents
from cti.cdr_publisher import CdrPublisher
from cti.contact_sources import start_contact_sources
from cti.contacts_demo import seed_demo_contacts
from cti.contacts_screen_pop import ContactsScreenPop
from cti.crm_call_log import CrmCallLogging
from cti.crm_connections import start_crm_connections
from cti.demo_company import DEMO_TENANT
from cti.engine_lease import node_id
from cti.engine_leased import LeasedEngineRuntime
from cti.engine_provisioning import LiveEngineConfig, all_engine_configs
from cti.engine_runtime import EngineRuntime
from cti.event_log import EventLog
from cti.fax import FaxToMail
from cti.feature_codes import wire_phone_features
from cti.filtered_calls_store import FilteredCallsStore
from cti.group_calls import GroupCalls, GroupsFirst
from cti.group_calls_live import LiveGroups
from cti.group_events import GroupEventPublisher
from cti.hoteling_calls import wire_hoteling
from cti.ice_servers import ICE_SERVERS_ENV
from cti.intercept_calls import wire_intercept
from cti.intercom_live import wire_intercom
from cti.manager_assistant_calls import follow, wire_manager_assistant
from cti.operators import FIRST_OPERATOR_HINT, operators
from cti.password_pool import PasswordPool
from cti.passwords import hash_password
from cti.pbx_directory import provisioned_directories
from cti.pbx_trunks import DEMO_CARRIER, carrier_address, start_live_trunks
from cti.pickup_groups_live import wire_pickup_groups
from cti.product_checks import (
    ProductError,
    check_before_start,
    refuse_published_passwords_beyond_loopback,
)
from cti.product_children import (
    REPORT_INGESTER,
    RTPENGINE_REDIS_DB_ENV,
    SupervisedRtpengine,
    python_module_spec,
    redis_answers,
    rq_worker_spec,
    rtpengine_address,
    rtpengine_redis_db,
    start_media,
    start_private_redis,
)
from cti.provisioning_demo import (
    forget_moved_demo_users,
    seed_demo_company,
    seed_demo_operator,
)
from cti.provisioning_relay import relay_changes
from cti.receptionist_product import start_receptionist
from cti.recording_product import ProductRecordings
from cti.rest import contact_sources as contact_sources_api
from cti.rest import crm_connections as crm_connections_api
from cti.rest import manager_assistant as manager_assistant_api
from cti.rest import receptionist as receptionist_api
from cti.rest.trunk_registrations import RegistrationCollector
from cti.screen_pop import ScreenPopRecord
from cti.screen_pop_first import PrefetchedScreenPop, ScreenPopFirst
from cti.serve import WEB_SERVER_OPTIONS
from cti.settings import CtiSettings
from cti.sip_tls import tls_files_from_env
from cti.snapshots import SnapshotStore
from cti.tenant_alerts import TenantAlerts
from cti.user_services_live import profile_of
from cti.users import UserDirectory, make_engine
from cti.voicemail import Voicemail
from cti.voicemail_mail import VoicemailMailer
from pbx_core.call_control import Hangup
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.edge.kamailio import edge_addresses
from pbx_core.fax import spandsp
from pbx_core.media.prompts import generate_all
from pbx_core.service import PbxService
from pbx_core.sip.calls.park import DEFAULT_PARK_TIMEOUT
from pbx_core.sip.tls_context import TlsFiles
from pbx_core.sip.tls_transport import DEFAULT_PORT as DEFAULT_SIP_TLS_PORT
from provisioning.alternate_numbers_store import AlternateNumbersService
from provisioning.announcement_store import AnnouncementService
from provisioning.announcements import PROMPTS_SUBDIR
from provisioning.contacts_store import ContactStore
from provisioning.custom_ringback import CustomRingbackService
from provisioning.db import migrate as migrate_provisioning
from provisioning.group_services_store import GroupServices
from provisioning.report_schedules import ReportScheduleStore
from provisioning.service import ProvisioningService
from provisioning.speed_dial_store import SpeedDialService
from provisioning.user_services_store import UserServicesService
from provisioning.voicemail_boxes import VoicemailBoxes
from provisioning.voicemail_messages import VoicemailMessages
from reports.db import migrate as migrate_reports
from reports.scheduled import SmtpSettings
from reports.scheduled_jobs import QUEUE_NAME as REPORT_QUEUE
from reports.scheduled_jobs import rearm_all as rearm_report_schedules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProductSettings:
    host: str = "127.0.0.1"
    http_port: int = 8000
    sip_port: int = 5060
    sip_ws_port: int | None = None
    """SIP over WebSocket for browser phones (`OPENCC_SIP_WS_PORT`, 5066 in `make demo`);
    None: off (docs/webrtc.md)."""
    sip_wss_tls: TlsFiles | None = None
    """The certificate and key of SIP over secure WebSocket (`OPENCC_SIP_WSS_CERT`,
    `OPENCC_SIP_WSS_KEY`), for pages served over https; None: no `wss:` listener."""
    sip_wss_port: int = DEFAULT_WSS_PORT
    """Its port (`OPENCC_SIP_WSS_PORT`), used only with `sip_wss_tls`."""
    webrtc_ice_servers: str = ""
    """STUN/TURN servers for browser phones, JSON (`OPENCC_WEBRTC_ICE_SERVERS`); empty: none
    (cti/ice_servers.py)."""
    sip_tls: TlsFiles | None = None
    """SIP over TLS (`OPENCC_SIP_TLS_CERT`, `OPENCC_SIP_TLS_KEY`); None: off (docs/pbx.md)."""
    sip_tls_port: int = DEFAULT_SIP_TLS_PORT
    """Its port (`OPENCC_SIP_TLS_PORT`), used only with `sip_tls`."""
    sip_edge: tuple[tuple[str, int], ...] = ()
    """The Kamailios in front (`OPENCC_SIP_EDGE`, host:port[,...]; `PbxConfig.edge_proxies`,
    docs/deploy.md "Kamailio"): their requests' phone address is the Via below theirs."""
    redis_url: str | None = None
    """None: 127.0.0.1:6379 if it answers, else a private redis-server started here."""
    var_dir: Path = Path("var")
    database_url: str | None = None
    """None: SQLite under `var_dir`."""
    key_prefix: str = DEFAULT_PREFIX
    media: bool = True
    """Run rtpengine for prompts, music on hold and recording."""
    rtpengine: RtpengineAddress | None = None
    """An rtpengine of its own (`OPENCC_RTPENGINE`, host:ng-port; its own systemd unit in
    production) instead of the product's child: its sessions, and so the callers' music and
    the calls' audio, outlive a PBX crash (docs/deploy.md). Its DTMF feed goes to
    `rtpengine_dtmf_port` (`OPENCC_RTPENGINE_DTMF_PORT`), its recordings to `var/recordings`."""
    rtpengine_dtmf_port: int | None = None
    rtpengine_redis_db: int | None = None
    """The product's own rtpengine keeps its calls' media sessions in this DB of the product's
    Redis (`OPENCC_RTPENGINE_REDIS_DB`, default 15 from the environment, `off`: none), so a
    restart after its crash restores them; the DB must be rtpengine's alone (docs/deploy.md).
    None here (tests building settings directly): parallel products would share one DB."""
    rq_worker: bool = True
    carrier: tuple[str, int] = DEMO_CARRIER
    """The demo's carrier (`OPENCC_CARRIER`, host:port), made the platform's trunk when there is
    none yet; later the trunks are provisioning's (docs/trunks.md)."""
    carrier_tls_ca: Path | None = None
    """CAs for TLS trunks' carriers (`OPENCC_CARRIER_TLS_CA`, PEM); None: the system's."""
    extra_env: dict[str, str] = field(default_factory=dict)
    demo: bool = False
    """Seed the demo company, its operator, CRM and carrier (once: a restart keeps changes).
    Without it the product starts empty (`cti.run`, docs/provisioning.md "First start")."""
    park_timeout: float = DEFAULT_PARK_TIMEOUT
    """Seconds a parked call waits before it rings its parker again (docs/phone-features.md)."""

    @classmethod
    def from_env(cls, *, demo: bool) -> ProductSettings:
        env = os.environ
        return cls(
            demo=demo,
            host=env.get("OPENCC_HOST", "127.0.0.1"),
            http_port=int(env.get("OPENCC_HTTP_PORT", "8000")),
            sip_port=int(env.get("OPENCC_SIP_PORT", "5060")),
            sip_ws_port=int(env.get("OPENCC_SIP_WS_PORT", "5066")) or None,
            sip_wss_tls=tls_files_from_env(env, "OPENCC_SIP_WSS"),
            sip_wss_port=int(env.get("OPENCC_SIP_WSS_PORT", str(DEFAULT_WSS_PORT))),
            webrtc_ice_servers=env.get(ICE_SERVERS_ENV, ""),
            sip_tls=tls_files_from_env(env, "OPENCC_SIP_TLS"),
            sip_tls_port=int(env.get("OPENCC_SIP_TLS_PORT", str(DEFAULT_SIP_TLS_PORT))),
            sip_edge=edge_addresses(env.get("OPENCC_SIP_EDGE"), "OPENCC_SIP_EDGE"),
            redis_url=env.get("REDIS_URL") or None,
            var_dir=Path(env.get("OPENCC_VAR_DIR", "var")),
            database_url=env.get("DATABASE_URL") or None,
            key_prefix=env.get("OPENCC_KEY_PREFIX", DEFAULT_PREFIX),
            media=env.get("OPENCC_MEDIA", "1") != "0",
            rtpengine=rtpengine_address(env.get("OPENCC_RTPENGINE")),
            rtpengine_dtmf_port=int(env["OPENCC_RTPENGINE_DTMF_PORT"])
            if env.get("OPENCC_RTPENGINE_DTMF_PORT")
            else None,
            rtpengine_redis_db=rtpengine_redis_db(env.get(RTPENGINE_REDIS_DB_ENV)),
            carrier=carrier_address(env.get("OPENCC_CARRIER")),
            carrier_tls_ca=Path(env["OPENCC_CARRIER_TLS_CA"])
            if "OPENCC_CARRIER_TLS_CA" in env
            else None,
        )


class CrmScreenPop:
    """The CTI's `ScreenPopLookup` on top of the CRM connectors' screen-pop service."""

    def __init__(self, service: ScreenPopService) -> None:
        self._service = service

    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        records = await self._service.lookup(tenant, number)
        return [
            ScreenPopRecord(
                crm=r.source,
                record_id=r.id,
                name=r.company or r.name if r.company and r.company != r.name else r.name,
                url=r.url or "",
                kind=r.kind or "contact",
            )
            for r in records
        ]


class Product:
    """Handles to the running parts (for tests and the demo banner)."""

    def __init__(self) -> None:
        self.redis_url = ""
        self.database_url = ""
        self.pbx: PbxService | None = None
        self.runtime: EngineRuntime | None = None
        self.app: FastAPI | None = None
        self.rtpengine: SupervisedRtpengine | None = None
        self.supervisor = Supervisor()
        self.server: uvicorn.Server | None = None
        self.operators: list[str] = []
        """The platform operators at start-up: none on a first production start."""


async def run_product(settings: ProductSettings, ready: asyncio.Event | None = None,
                      product: Product | None = None) -> None:  # fmt: skip
    """Start everything, serve until cancelled (Ctrl-C), then stop everything it started."""
    product = product or Product()
    check_patched_versions()  # sippy, strawberry and dash are used below their public API
    check_before_start(settings)
    var = settings.var_dir.resolve()
    var.mkdir(parents=True, exist_ok=True)
    supervisor = product.supervisor  # every child process: restarted when it crashes
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(supervisor.stop)  # the last to go: after the PBX's stop
        redis_url = settings.redis_url
        if redis_url is None:
            redis_url = "redis://127.0.0.1:6379/0"
            if not redis_answers(redis_url):
                redis_url = await start_private_redis(var, supervisor)
        product.redis_url = redis_url
        database_url = settings.database_url or f"sqlite:///{var / 'opencc.db'}"
        product.database_url = database_url

        prompts_dir = var / "prompts"
        # Writes only the prompts missing (all, the first time; a new one, after an update).
        await asyncio.to_thread(generate_all, prompts_dir)

        media = await start_media(
            settings.media, settings.rtpengine, settings.rtpengine_dtmf_port, settings.host,
            var, redis_url, settings.rtpengine_redis_db, supervisor,
        )  # fmt: skip
        product.rtpengine = media.own

        # Provisioning first: the demo company is made through it (once), and the engine
        # runtime runs the call centers it holds.
        database = make_engine(database_url)  # provisioning's, with the operators and API tokens
        stack.callback(database.dispose)
        users = UserDirectory(database)
        await asyncio.to_thread(migrate_provisioning, database)
        passwords = PasswordPool()  # a CSV import's web passwords over the cores
        stack.callback(passwords.close)
        provisioning = ProvisioningService(database, hash_password, hash_many=passwords.hash_all)
        if settings.demo:
            await asyncio.to_thread(seed_demo_company, provisioning, DEMO_TENANT)
            await asyncio.to_thread(seed_demo_contacts, database, DEMO_TENANT)
            await asyncio.to_thread(forget_moved_demo_users, users, DEMO_TENANT)
            await asyncio.to_thread(seed_demo_operator, users, DEMO_TENANT)
        # A demo database served by a production start is refused the same way.
        await refuse_published_passwords_beyond_loopback(settings.host, provisioning, users)
        product.operators = await asyncio.to_thread(operators, users)
        if not product.operators:
            log.warning(FIRST_OPERATOR_HINT)
        engine_configs = await asyncio.to_thread(all_engine_configs, provisioning)

        redis = async_client(redis_url, decode_responses=True)
        stack.push_async_callback(redis.aclose)
        # The PBX serves every tenant's phones, each in its SIP domain as the digest realm (the
        # demo tenant's, or else the host's, is the realm of requests for no tenant's domain);
        # users and call-center numbers come from provisioning (the digest HA1 it stores).
        realm = settings.host
        if settings.demo:
            realm = (await asyncio.to_thread(provisioning.tenant, DEMO_TENANT)).sip_domain
        directories = await asyncio.to_thread(provisioned_directories, provisioning)
        recording = ProductRecordings.under(var, database_url, settings.key_prefix, redis_url)
        # One service for the admin API's uploads and the voice portal's recordings.
        announcements = AnnouncementService(database, prompts_dir / PROMPTS_SUBDIR)
        voicemail = Voicemail(
            VoicemailMessages(database),
            VoicemailBoxes(database),
            var / "voicemail",
            asyncio.get_running_loop(),
            mailer=VoicemailMailer.from_env(),
            announcements=announcements,
        )
        stack.push_async_callback(voicemail.drain)  # after the PBX's stop: its last messages
        # The group calls' events (cti/group_events.py): the groups' and the faxes' outcomes.
        group_events = GroupEventPublisher(redis, settings.key_prefix)
        group_events_task = asyncio.create_task(group_events.run(), name="group-events")
        stack.callback(group_events_task.cancel)
        fax = FaxToMail.from_env(
            GroupServices(provisioning), var / "fax", asyncio.get_running_loop(),
            group_events.publish,
        )  # fmt: skip
        stack.push_async_callback(fax.drain)  # after the PBX's stop: its last faxes
        pbx = PbxService(
            PbxConfig(
                realm=realm,
                sip_host=settings.host,
                sip_port=settings.sip_port,
                sip_tls=settings.sip_tls,
                carrier_tls_ca=settings.carrier_tls_ca,
                sip_tls_port=settings.sip_tls_port,
                redis_url=redis_url,
                key_prefix=pbx_prefix(settings.key_prefix),
                rtpengine=media.address,
                prompts_dir=prompts_dir,
                recordings_dir=media.recordings,
                dtmf_listen_port=media.dtmf_port,
                park_timeout=settings.park_timeout,
                keep_dialogs=True,
                edge_proxies=settings.sip_edge,
                **browser_phone_pbx_settings(
                    settings.host,
                    settings.http_port,
                    settings.sip_ws_port,
                    settings.media,
                    (settings.sip_wss_port, settings.sip_wss_tls) if settings.sip_wss_tls else None,
                ),
            ),
            directories,
            on_recording_finished=recording.on_recording_finished,
            voicemail=voicemail.pbx_settings() if settings.media else None,
            fax=fax.pbx_settings() if settings.media and spandsp.available() else None,
        )
        product.pbx = pbx
        alerts = TenantAlerts(
            redis,
            settings.key_prefix,
            VoicemailBoxes(database).admin_addresses,
            SmtpSettings.configured(),
        )
        pbx.on_alert(alerts.on_alert)
        stack.push_async_callback(alerts.drain)
        crm_queue = job_queue("crm", sync_client(redis_url))
        crm_logging = CrmCallLogging(CallLogger(crm_queue))
        # Each tenant's engine runs on the one node holding its lease (docs/deploy.md); a
        # single product process simply holds them all, its own from its last run at once.
        runtime = LeasedEngineRuntime(
            engine_configs,
            pbx,
            redis,
            EventLog(redis, settings.key_prefix),
            SnapshotStore(redis, settings.key_prefix),
            prefix=settings.key_prefix,
            node=node_id(var),
            prompts_dir=prompts_dir,
            listeners=[crm_logging.on_event],
        )
        product.runtime = runtime
        # Hunt groups and auto attendants answer their numbers first (cti/group_calls.py).
        groups = GroupCalls(pbx.send, prompts_dir, events=group_events.publish)
        await LiveGroups(provisioning, groups, asyncio.get_running_loop()).load_all()
        pbx.register_handler(GroupsFirst(groups, runtime.on_call_event))
        wire_intercept(pbx, provisioning, prompts_dir)  # InterceptGroup's message
        # Bel-me-nu's callbacks to users and hunt groups (cti/belmenu_calls.py).
        belmenu_calls = BelmenuCalls(pbx.send, groups)
        stack.callback(asyncio.create_task(follow(pbx, belmenu_calls)).cancel)
        # A crashed PBX's callers: their waiting calls keep their places (docs/deploy.md).
        dialogs = await pbx.stored_dialogs()
        await runtime.start(
            held={d.call_id: d.bridged.extension if d.bridged else None for d in dialogs}
        )
        LiveEngineConfig(provisioning, runtime, asyncio.get_running_loop(), pbx)
        user_services = UserServicesService(database)
        # Changes committed by other processes (API nodes, CLIs) reach these live tables too.
        stop_relay = await relay_changes(
            redis_url, settings.key_prefix, provisioning, user_services
        )
        stack.push_async_callback(stop_relay)
        speed_dials, alternates = SpeedDialService(database), AlternateNumbersService(database)
        ringbacks = CustomRingbackService(database)
        feature_codes = await asyncio.to_thread(wire_phone_features, pbx, provisioning,
                                                user_services, runtime.control, prompts_dir,
                                                speed_dials, alternates, ringbacks)  # fmt: skip
        hoteling = await asyncio.to_thread(wire_hoteling, pbx, provisioning, database,
                                           user_services, feature_codes, prompts_dir)  # fmt: skip
        # The conference rooms, live (cti/bridge_rooms_live.py).
        await asyncio.to_thread(LiveRooms(provisioning, pbx.rooms).load_all)
        publish_moves(pbx.rooms, group_events.publish, asyncio.get_running_loop())
        loop = asyncio.get_running_loop()
        filtered_store = FilteredCallsStore(redis, settings.key_prefix)
        manager_assistant = await asyncio.to_thread(wire_manager_assistant, pbx, provisioning,
            database, user_services, feature_codes, prompts_dir, loop, filtered_store)  # fmt: skip
        stack.callback(asyncio.create_task(follow(pbx, manager_assistant.calls)).cancel)
        pickup_groups = await asyncio.to_thread(wire_pickup_groups, pbx, provisioning, database)
        intercom = await asyncio.to_thread(wire_intercom, pbx, provisioning, database)
        pickups_and_parks = CallHandlingEvents(group_events.publish)  # to `groupCalls`
        stack.callback(asyncio.create_task(follow(pbx, pickups_and_parks)).cancel)
        # Every tenant's direct numbers and calling plans (each number routes in its own tenant).
        demo_carrier = settings.carrier if settings.demo else None
        await start_live_trunks(provisioning, pbx, None, demo_carrier, loop)
        stack.push_async_callback(crm_logging.drain)
        stack.push_async_callback(runtime.stop)
        cdrs = CdrPublisher(  # the PBX's live directory: users added later count as well
            redis,
            settings.key_prefix,
            is_extension=lambda tenant, number: pbx.directories.user(tenant, number) is not None,
            profile_of=partial(profile_of, user_services),
        )
        cdr_task = asyncio.create_task(cdrs.run(pbx.subscribe()), name="cdrs")
        stack.callback(cdr_task.cancel)
        # The receptionist console's presence: the same pure core as the phones' BLF keys.
        receptionist = await start_receptionist(pbx, provisioning, redis, settings.key_prefix)
        stack.callback(receptionist.task.cancel)
        await pbx.start()
        stack.push_async_callback(pbx.stop)
        taken = await pbx.take_over(dialogs)
        for call_id in set(taken) - runtime.take_over(taken):  # not the engine's: hang it up
            pbx.send(Hangup(call_id, code=503, reason="Service Unavailable"))
        if dialogs:
            log.warning("took over %d of %d stored calls", len(taken), len(dialogs))
        await voicemail.tell_phones(pbx.set_message_counts, list(pbx.directories.tenants))

        # The reports schema too, before anything reads it: the ingester (started below) would
        # migrate it as well, but only once its process is up, and the report API and every
        # reader in between would find no tables.
        await asyncio.to_thread(migrate_reports, database_url)
        report_queue = job_queue(REPORT_QUEUE, sync_client(redis_url))
        await asyncio.to_thread(
            rearm_report_schedules, ReportScheduleStore(database), report_queue, database_url
        )

        crm_index = CrmIndex.from_url(database_url)
        demo_crm_url = f"sqlite:///{var / 'demo_crm.sqlite'}"
        demo_crm = None
        if settings.demo:
            demo_crm = await seed_demo_crm(crm_index, demo_crm_url, tenant=DEMO_TENANT)
        crm, crm_screen_pop, crm_worker_env = await start_crm_connections(
            database, database_url, crm_index, crm_queue, var, demo_crm
        )
        stack.push_async_callback(crm.registry.aclose)

        screen_pop = PrefetchedScreenPop(CrmScreenPop(crm_screen_pop))
        # From now on each new call waits (<= 150 ms) for its caller's records before ringing.
        pbx.register_handler(GroupsFirst(groups, ScreenPopFirst(runtime.on_call_event, screen_pop)))
        # The contacts directory pops before the CRM (one indexed SELECT, docs/contacts.md).
        contacts_pop = ContactsScreenPop(ContactStore(provisioning.engine), screen_pop)
        cti_settings = CtiSettings.from_env(
            redis_url=redis_url,
            database_url=database_url,
            key_prefix=settings.key_prefix,
            control=runtime.control,  # commands for tenants held elsewhere: relayed
            provisioning=provisioning,
            screen_pop=contacts_pop,
            crm_errors=CRM_ERRORS.snapshot,
            sip_transactions=pbx.sip_transactions,
            sip_messages=pbx.sip_messages,
            sip_auth=pbx.sip_auth_counts,
            extra_metrics=(RegistrationCollector(pbx.carrier_registrations),),
            processes=supervisor,
        )
        app = create_app(cti_settings)
        app.state.voicemail = voicemail
        app.state.user_services = user_services  # the REST API's (cti/rest/user_services.py)
        app.state.speed_dials = speed_dials  # the REST API's (cti/rest/speed_dial.py)
        app.state.alternate_numbers = alternates  # cti/rest/alternate_numbers.py
        app.state.custom_ringbacks = ringbacks  # cti/rest/custom_ringback.py
        app.state.hoteling = hoteling  # cti/rest/hoteling.py
        app.state.manager_assistant = manager_assistant  # cti/rest/manager_assistant.py
        app.state.pickup_groups = pickup_groups  # cti/rest/pickup_groups.py
        app.state.intercom = intercom  # cti/rest/intercom.py
        app.include_router(manager_assistant_api.calls_router)  # needs the PBX, as the console
        app.state.pbx = pbx  # the conference bridge's rooms (cti/rest/conference_rooms.py)
        app.state.belmenu_calls = belmenu_calls  # cti/rest/belmenu.py
        app.state.announcements = announcements
        # The connections' admin API lives where the connections do (its handle: app.state).
        app.state.crm_connections = crm
        app.include_router(crm_connections_api.router)
        public_url = os.environ.get(
            "OPENCC_PUBLIC_URL", f"http://{settings.host}:{settings.http_port}"
        )
        # Synced address books (docs/contacts.md): their jobs share the CRM's queue and key.
        app.state.contact_sources = await start_contact_sources(
            database, crm_queue, crm_worker_env[KEY_ENV], public_url
        )
        app.include_router(contact_sources_api.router)
        app.state.carrier_registrations = pbx.carrier_registrations
        receptionist.install(app.state)
        app.include_router(receptionist_api.router)
        _mount_clients(app)
        install_browser_phone(app, pbx, settings.host, settings.webrtc_ice_servers)
        recording.install(app, database, provisioning, cti_settings.token_secret, public_url)
        app.mount("/crm/opencti", adapter_app(), name="opencti")
        product.app = app

        if settings.rq_worker:
            await supervisor.supervise(rq_worker_spec(
                redis_url,
                ["default", "crm", "reports", recording.paths.queue_name],
                {
                    **os.environ,
                    # The CRM jobs of a plain rq worker find the index and the demo CRM here.
                    "CRM_INDEX_URL": database_url,
                    **({"CRM_DEMO_DB_URL": demo_crm_url} if settings.demo else {}),
                    **crm_worker_env,  # the admin's connections and their key
                    **recording.paths.environment(),
                    **settings.extra_env,
                },
            ))  # fmt: skip
            await supervisor.supervise(recording.cron_spec({**os.environ, **settings.extra_env}))

        # Reports: the ingester follows the event stream into SQL, exactly once (docs/reports.md).
        await supervisor.supervise(python_module_spec(
            REPORT_INGESTER,
            ["reports.ingest", "--all-tenants", "--prefix", settings.key_prefix,
             "--database-url", database_url, "--redis-url", redis_url],
            os.environ,
            var / "ingest.log",
        ))  # fmt: skip

        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.http_port,
            log_level="warning",
            lifespan="on",
            **WEB_SERVER_OPTIONS,
        )
        server = uvicorn.Server(config)
        product.server = server
        serving = asyncio.create_task(server.serve(), name="http")
        while not server.started:
            if serving.done():
                with contextlib.suppress(SystemExit):
                    await serving
                raise ProductError(f"the web server could not start on port {settings.http_port}")
            await asyncio.sleep(0.05)
        if ready is not None:
            ready.set()
        try:
            await serving
        finally:
            server.should_exit = True


def _mount_clients(app: FastAPI) -> None:
    """Serve the browser clients when their packages provide a `mount(app)`."""
    import importlib

    for name in ("agent_ui", "supervisor_ui", "admin_ui", "wallboard_ui", "receptionist_ui"):
        module = importlib.import_module(name)
        mount = getattr(module, "mount", None)
        if callable(mount):
            mount(app)
        else:
            log.info("%s has no mount(app) yet: not served", name)

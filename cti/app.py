"""The CTI web process: `create_app(settings) -> FastAPI` serving REST, GraphQL and metrics.

Run it with uvicorn, e.g. `python -m cti.serve` (see docs/cti.md), or mount the app in the
demo process that also runs the engine and the PBX.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InternalError, OperationalError
from starlette.concurrency import run_in_threadpool

from common.redis_connect import async_client
from cti.connection_slots import ConnectionSlots
from cti.engine_command_relay import relayed_control
from cti.event_log import EventLog
from cti.fanout import EventFanout
from cti.graphql_api.router import graphql_router
from cti.graphql_api.schema import build_schema
from cti.graphql_api.shared import SharedSubscriptions
from cti.graphql_api.sse import sse_router
from cti.login_throttle import LoginThrottle
from cti.metrics import CtiMetrics
from cti.rest import (
    agent_totals,
    alternate_numbers,
    api_tokens,
    auth,
    belmenu,
    call_timeline,
    calls,
    conference_rooms,
    contacts,
    crm_tokens,
    custom_ringback,
    group_reports,
    hoteling,
    intercom,
    manager_assistant,
    opencti,
    ops,
    pickup_groups,
    provisioning,
    provisioning_activation,
    provisioning_trunks,
    report_schedules,
    reports,
    screen_pop,
    selective_services,
    sip_credential,
    speed_dial,
    tenant_alerts,
    trunk_registrations,
    user_services,
    voicemail,
    wallboards,
    what_if,
)
from cti.screen_pop import NoScreenPop
from cti.services import CtiServices
from cti.settings import CtiSettings
from cti.snapshots import SnapshotStore
from cti.token_revocation import RevokeOnAccountChange, TokenGenerations
from cti.tokens import TokenSigner
from cti.users import UserDirectory, make_engine
from cti.ws_limits import WebSocketLimits

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
"""What a 503 `database_unavailable` tells the client to wait: a Patroni promotion takes longer,
a restarting database about this."""
READ_ONLY_SQLSTATE = "25006"
"""read_only_sql_transaction: a write reached a standby (the session was opened before the
promotion turned it, or a URL without `target_session_attrs=read-write`)."""


def _read_only(error: InternalError) -> bool:
    return getattr(error.orig, "sqlstate", None) == READ_ONLY_SQLSTATE


GRAPHQL_PATH = "/graphql"


def create_app(settings: CtiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = async_client(settings.redis_url, decode_responses=True)
        # The fan-out reader blocks its connection in XREAD: give it a client of its own.
        reader = async_client(settings.redis_url, decode_responses=True, socket_timeout=None)
        engine = make_engine(settings.database_url)
        users = UserDirectory(engine, settings.password_cost)
        if settings.create_tables:
            await run_in_threadpool(users.create_tables)
        event_log = EventLog(redis, settings.key_prefix)
        fanout = EventFanout(
            reader,
            event_log,
            block_ms=settings.fanout_block_ms,
            queue_size=settings.subscriber_queue_size,
            max_replay=settings.max_replay_events,
        )
        metrics = CtiMetrics(
            settings.sip_transactions,
            settings.crm_errors,
            settings.sip_messages,
            settings.sip_auth,
            settings.processes,
        )
        for collector in settings.extra_metrics:
            metrics.registry.register(collector)
        fanout.add_listener(metrics.event_read)
        app.state.services = CtiServices(
            settings=settings,
            redis=redis,
            event_log=event_log,
            fanout=fanout,
            snapshots=SnapshotStore(redis, settings.key_prefix),
            users=users,
            signer=TokenSigner(settings.token_secret, settings.token_ttl_seconds),
            screen_pop=settings.screen_pop or NoScreenPop(),
            metrics=metrics,
            control_impl=settings.control
            or (relayed_control(redis, settings.key_prefix) if settings.relay_commands else None),
            shared_subscriptions=SharedSubscriptions(),
            login_throttle=LoginThrottle(
                redis, settings.key_prefix, settings.login_limits, settings.clock
            ),
            connection_slots=ConnectionSlots(
                redis, settings.key_prefix, settings.max_connections_per_principal, settings.clock
            ),
            token_generations=TokenGenerations(redis, settings.key_prefix),
        )
        revoke_on_change = RevokeOnAccountChange(settings.redis_url, settings.key_prefix)
        app.state.revoke_on_change = revoke_on_change  # the lazily made service's listener too
        if settings.provisioning is not None:
            settings.provisioning.subscribe(revoke_on_change)
        await fanout.start()
        try:
            yield
        finally:
            await fanout.stop()
            if settings.provisioning is not None:
                settings.provisioning.unsubscribe(revoke_on_change)
            revoke_on_change.close()
            await reader.aclose()
            await redis.aclose()
            engine.dispose()

    app = FastAPI(
        title="OpenCC CTI API",
        version="1.0",
        description="REST for CRM plugins and scripts. GraphQL (queries, mutations, "
        "subscriptions over graphql-transport-ws) is at /graphql, graphql-sse at "
        "/graphql/stream.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # 422 with the reasons, without echoing the (possibly huge or binary) input back.
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return JSONResponse({"detail": details}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InternalError)
    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        # No host takes writes (a PostgreSQL failover before the promotion, docs/deploy.md; a
        # restarting database): the transaction was not committed, so the client may retry.
        if isinstance(error, InternalError) and not _read_only(error):
            raise error
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path,
                    str(error).splitlines()[0])  # fmt: skip
        return JSONResponse(
            {"error": "database_unavailable",
             "message": "the database cannot take this request now (restarting, or failing "
                        "over to its replica); nothing was stored: try again in a few seconds"},
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )  # fmt: skip

    for router in (
        auth.router,
        api_tokens.router,
        agent_totals.router,
        calls.router,
        call_timeline.router,
        screen_pop.router,
        ops.router,
        reports.router,
        group_reports.router,
        report_schedules.router,
        tenant_alerts.router,
        trunk_registrations.router,  # before provisioning's `/trunks/{trunk_id}` routes
        provisioning.router,
        provisioning_trunks.platform_router,
        user_services.router,
        selective_services.router,
        speed_dial.router,
        alternate_numbers.router,
        custom_ringback.router,
        hoteling.router,
        manager_assistant.router,
        pickup_groups.router,
        intercom.router,
        voicemail.router,
        what_if.router,
        wallboards.router,
        conference_rooms.router,
        contacts.router,
        sip_credential.router,
        crm_tokens.me_router,
        crm_tokens.admin_router,
        opencti.router,
        belmenu.admin_router,
        belmenu.public_router,
        provisioning_activation.public_router,
    ):
        app.include_router(router)
    schema = build_schema(
        settings.max_query_depth,
        settings.max_aliases,
        settings.max_tokens,
        max_document_chars=settings.max_document_chars,
        introspection=settings.dev_mode,
    )
    app.include_router(sse_router(schema))
    app.include_router(
        graphql_router(schema, graphiql=settings.dev_mode),
        prefix=GRAPHQL_PATH,
        include_in_schema=False,
    )
    app.add_middleware(
        WebSocketLimits,
        path=GRAPHQL_PATH,
        max_message_bytes=settings.ws_max_message_bytes,
        init_timeout=settings.ws_init_timeout,
    )
    return app

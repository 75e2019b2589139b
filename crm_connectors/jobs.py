"""rq jobs: index sync (full/delta, on a schedule) and call logging, with retry and backoff.

Job payloads carry only the tenant, connector name and call facts, never credentials: the worker
process calls `set_job_context()` at start-up with the index and a configuration lookup.
Each job runs its own `asyncio.run` with a fresh HTTP client; OAuth2 token state survives between
jobs in the `ConnectorFactory` of the context.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import create_engine

from common.database_url import engine_url
from common.job_queues import origin_queue
from crm_connectors.config import TenantCrmConfig
from crm_connectors.connections import (
    SyncOutcome,
    persist_refresh_tokens,
    record_sync_outcome,
    tenant_config,
)
from crm_connectors.connector import CrmConnector
from crm_connectors.demo import DEMO_TENANT, demo_tenant_config
from crm_connectors.errors import CrmConfigError, CrmError
from crm_connectors.factory import ConnectorFactory
from crm_connectors.index import CrmIndex
from crm_connectors.kinds import tenant_config_from_dict
from crm_connectors.metrics import DEFAULT_COUNTER, CrmErrorCounter
from crm_connectors.phone import to_e164
from crm_connectors.records import CallLog, CrmRecord
from crm_connectors.sealing import Sealer
from crm_connectors.sync import SyncMode, sync_connector
from provisioning.crm_connections import CrmConnectionStore

log = logging.getLogger(__name__)

#: Backoff for syncs: 429s and 5xx clear within minutes; Exact counts errors per hour.
SYNC_RETRY_INTERVALS = (30, 120, 600, 1800)
#: Backoff for call logs: keep trying for about a day, the activity still matters tomorrow.
LOG_CALL_RETRY_INTERVALS = (10, 60, 300, 1800, 3600, 14400)


def sync_retry() -> Retry:
    return Retry(max=len(SYNC_RETRY_INTERVALS), interval=list(SYNC_RETRY_INTERVALS))


def log_call_retry() -> Retry:
    return Retry(max=len(LOG_CALL_RETRY_INTERVALS), interval=list(LOG_CALL_RETRY_INTERVALS))


@dataclass
class JobContext:
    """What jobs need in the worker process; `configs` returns a tenant's configuration."""

    index: CrmIndex
    configs: Callable[[str], TenantCrmConfig | None]
    counters: CrmErrorCounter = field(default_factory=lambda: DEFAULT_COUNTER)
    factory: ConnectorFactory = field(default_factory=ConnectorFactory)
    http_timeout_s: float = 15.0
    #: Told how each sync ended (the admin API shows it as the connection's health).
    on_sync: SyncOutcome | None = None


_context: JobContext | None = None

#: For workers started by the plain `rq worker` command (JSON jobs: common/job_queues.py), where
#: no code runs before the jobs: the index database, a JSON file with tenant configurations, and
#: the demo CRM database.
ENV_INDEX_URL = "CRM_INDEX_URL"
ENV_TENANTS_FILE = "CRM_TENANTS_FILE"
ENV_DEMO_DB_URL = "CRM_DEMO_DB_URL"
#: The database of the connections admins configure (provisioning's `prov_crm_connections`);
#: their secrets open with the key in `OPENCC_CRM_KEY`.
ENV_CONNECTIONS_DB_URL = "CRM_CONNECTIONS_DB_URL"


def set_job_context(context: JobContext | None) -> None:
    """Call once in the worker process before `worker.work()` (or rely on the environment)."""
    global _context
    _context = context


def job_context() -> JobContext:
    global _context
    if _context is None:
        _context = context_from_env(os.environ)
    if _context is None:
        raise RuntimeError(
            f"no CRM job context: call crm_connectors.jobs.set_job_context() in the worker "
            f"or set {ENV_INDEX_URL} (and {ENV_TENANTS_FILE} / {ENV_DEMO_DB_URL})"
        )
    return _context


def context_from_env(environ: Mapping[str, str]) -> JobContext | None:
    """A context from environment variables; None when `CRM_INDEX_URL` is not set.

    `CRM_TENANTS_FILE` holds a JSON list of tenant configurations (see
    `kinds.tenant_config_from_dict`); `CRM_DEMO_DB_URL` adds the demo tenant's demo CRM.
    """
    index_url = environ.get(ENV_INDEX_URL)
    if not index_url:
        return None
    configs: dict[str, TenantCrmConfig] = {}
    tenants_file = environ.get(ENV_TENANTS_FILE)
    if tenants_file:
        for data in json.loads(Path(tenants_file).read_text(encoding="utf-8")):
            config = tenant_config_from_dict(data)
            configs[config.tenant] = config
    demo_db_url = environ.get(ENV_DEMO_DB_URL)
    if demo_db_url:
        configs[DEMO_TENANT] = demo_tenant_config(demo_db_url)
    index = CrmIndex.from_url(index_url)
    connections_url = environ.get(ENV_CONNECTIONS_DB_URL)
    if not connections_url:
        return JobContext(index=index, configs=configs.get)
    store = CrmConnectionStore(create_engine(engine_url(connections_url), pool_pre_ping=True))
    sealer = Sealer.from_env(environ)
    return JobContext(
        index=index,
        # Read per job: a connection the admin changed a moment ago, or a refresh token the
        # previous job rotated, is what this job uses.
        configs=lambda tenant: tenant_config(store, sealer, tenant, configs.get(tenant)),
        factory=ConnectorFactory(on_refresh_token=persist_refresh_tokens(store, sealer)),
        on_sync=record_sync_outcome(store),
    )


# --- sync ---------------------------------------------------------------------------------


def sync_job(
    tenant: str, connector_name: str, mode: str = "full", reschedule_every_s: int | None = None
) -> dict[str, Any]:
    """Sync one connector into the index. Raises on failure so rq's `Retry` applies."""
    ctx = job_context()
    if reschedule_every_s:
        _schedule_next_run_once(tenant, connector_name, mode, reschedule_every_s)
    return asyncio.run(_sync(ctx, tenant, connector_name, SyncMode(mode)))


async def _sync(ctx: JobContext, tenant: str, name: str, mode: SyncMode) -> dict[str, Any]:
    config = ctx.configs(tenant)
    connector_config = config.connector(name) if config else None
    if connector_config is None:
        ctx.counters.record(tenant, name, "sync", CrmConfigError.kind)
        raise CrmConfigError(f"tenant {tenant!r} has no CRM connector {name!r}")
    async with httpx.AsyncClient(timeout=ctx.http_timeout_s) as client:
        connector = ctx.factory.build(tenant, connector_config, client)
        try:
            result = await sync_connector(connector, ctx.index, tenant, mode)
        except CrmError as exc:
            ctx.counters.record(tenant, name, "sync", exc.kind)
            log.warning("crm sync %s/%s failed: %s", tenant, name, exc)
            if ctx.on_sync is not None:
                ctx.on_sync(tenant, name, None, f"{exc.kind}: {exc}")
            raise
        finally:
            await connector.aclose()
    if ctx.on_sync is not None:
        ctx.on_sync(tenant, name, result.written, None)
    return {"tenant": tenant, "source": name, "mode": result.mode.value, "written": result.written}


def schedule_key(queue_name: str, tenant: str, name: str, mode: str) -> str:
    """Redis key naming the job that carries a periodic sync's chain right now."""
    return f"crm:sync-schedule:{queue_name}:{tenant}:{name}:{mode}"


def _schedule_next_run_once(tenant: str, name: str, mode: str, every_s: int) -> None:
    continue_schedule(
        lambda queue_name: schedule_key(queue_name, tenant, name, mode),
        sync_job,
        (tenant, name, mode, every_s),
        every_s,
        f"crm {mode} sync {tenant}/{name}",
    )


def continue_schedule(
    key: Callable[[str], str],
    func: Callable[..., Any],
    args: tuple[Any, ...],
    every_s: int,
    description: str,
) -> None:
    """From inside a periodic job: schedule its next run, once per run (not again on retry),
    and only while this job's chain is the current one (`key(queue name)` names the job that
    carries it): `schedule_every` called again starts a new chain."""
    job = get_current_job()
    if job is None or job.meta.get("next_scheduled"):
        return
    chain = key(job.origin)
    current = job.connection.get(chain)
    if current is not None and _text(current) != job.id:
        log.info("%s: schedule replaced, chain ends here", description)
        return
    nxt = origin_queue(job).enqueue_in(
        timedelta(seconds=every_s), func, *args, retry=sync_retry(), description=description
    )
    job.connection.set(chain, nxt.id)
    job.meta["next_scheduled"] = True
    _save_meta(job)


def enqueue_sync(
    queue: Queue, tenant: str, connector_name: str, mode: SyncMode = SyncMode.FULL
) -> Job:
    """Run one sync soon (e.g. after an admin saved the connector's configuration)."""
    return queue.enqueue(
        sync_job,
        tenant,
        connector_name,
        mode.value,
        retry=sync_retry(),
        description=f"crm {mode.value} sync {tenant}/{connector_name}",
    )


def schedule_sync(
    queue: Queue,
    tenant: str,
    connector_name: str,
    *,
    mode: SyncMode = SyncMode.DELTA,
    every: timedelta = timedelta(minutes=15),
    first_in: timedelta = timedelta(0),
) -> Job:
    """Start a periodic sync through rq's scheduler (workers need `with_scheduler=True`).

    Each run schedules the next one before it starts, so a failing run (which rq retries with
    backoff) does not stop the schedule. Calling it again for the same tenant, connector and mode
    replaces the schedule (safe at every start-up). Typical: delta every 15 min, full nightly.
    """
    every_s = max(1, int(every.total_seconds()))
    return schedule_every(
        queue,
        schedule_key(queue.name, tenant, connector_name, mode.value),
        sync_job,
        (tenant, connector_name, mode.value, every_s),
        first_in=first_in,
        description=f"crm {mode.value} sync {tenant}/{connector_name}",
    )


def schedule_every(
    queue: Queue,
    key: str,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    first_in: timedelta,
    description: str,
) -> Job:
    """The first run of a periodic job whose runs call `continue_schedule`; the Redis `key`
    names the chain's current job, so calling this again replaces the chain."""
    previous = queue.connection.get(key)
    job = queue.enqueue_in(first_in, func, *args, retry=sync_retry(), description=description)
    queue.connection.set(key, job.id)
    if previous is not None:
        # Calling this again (a restart, a changed interval) replaces the old chain.
        _drop_scheduled(queue, _text(previous))
    return job


def cancel_sync_schedule(queue: Queue, tenant: str, connector_name: str, mode: SyncMode) -> None:
    """Stop a periodic sync (e.g. the connector was removed)."""
    cancel_schedule(queue, schedule_key(queue.name, tenant, connector_name, mode.value))


def cancel_schedule(queue: Queue, key: str) -> None:
    previous = queue.connection.get(key)
    queue.connection.delete(key)
    if previous is not None:
        _drop_scheduled(queue, _text(previous))


def _drop_scheduled(queue: Queue, job_id: str) -> None:
    """Delete a job that is still waiting in the scheduler; a running one ends its chain itself."""
    registry = queue.scheduled_job_registry
    if job_id in registry:
        with contextlib.suppress(NoSuchJobError):  # it ran or vanished meanwhile
            registry.remove(job_id, delete_job=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# --- call logging -------------------------------------------------------------------------


def log_call_job(call_data: dict[str, Any]) -> dict[str, str | None]:
    """Write one finished call to the tenant's CRM(s). Raises on failure so rq retries.

    Targets: `call.source` when the agent's screen-pop picked a record; otherwise every connector
    whose indexed records match the number. Calls that match no record are not logged: there is
    nothing to attach them to. Connectors already done are remembered in the job's meta, so a
    retry does not write the same activity twice.
    """
    ctx = job_context()
    call = CallLog.from_dict(call_data)
    job = get_current_job()
    done: dict[str, str | None] = dict(job.meta.get("logged", {})) if job else {}
    try:
        return asyncio.run(_log_call(ctx, call, done))
    finally:
        if job is not None:
            job.meta["logged"] = done
            _save_meta(job)


async def _log_call(
    ctx: JobContext, call: CallLog, done: dict[str, str | None]
) -> dict[str, str | None]:
    config = ctx.configs(call.tenant)
    if config is None:
        return done
    e164 = to_e164(call.number)
    indexed = await asyncio.to_thread(ctx.index.lookup, call.tenant, e164) if e164 else []
    targets: list[tuple[str, CrmRecord | None]] = []
    for connector_config in config.connectors:
        name = connector_config.name
        if name in done or (call.source is not None and name != call.source):
            continue
        record = _pick_record(indexed, name, call.record_id)
        if call.source is None and record is None:
            continue
        targets.append((name, record))
    first_error: CrmError | None = None
    async with httpx.AsyncClient(timeout=ctx.http_timeout_s) as client:
        for name, record in targets:
            target_config = config.connector(name)
            assert target_config is not None
            connector: CrmConnector = ctx.factory.build(call.tenant, target_config, client)
            try:
                done[name] = await connector.log_call(call, record)
            except CrmError as exc:
                ctx.counters.record(call.tenant, name, "log_call", exc.kind)
                log.warning("crm call log %s/%s failed: %s", call.tenant, name, exc)
                first_error = first_error or exc
            finally:
                await connector.aclose()
    if first_error is not None:
        raise first_error
    return done


def _pick_record(records: list[CrmRecord], source: str, record_id: str | None) -> CrmRecord | None:
    mine = [r for r in records if r.source == source]
    if record_id is not None:
        chosen = next((r for r in mine if r.id == record_id), None)
        # The agent picked a record the index does not hold (yet): link by id anyway.
        return chosen or CrmRecord(id=record_id, name="", source=source)
    return mine[0] if mine else None


def _save_meta(job: Job) -> None:
    job.save_meta()  # type: ignore[no-untyped-call]  # rq leaves this one unannotated


def call_log_job_id(tenant: str, call_id: str) -> str:
    """rq accepts only letters, digits, `_` and `-` in job ids; SIP Call-IDs carry `@` and `.`.
    A digest keeps the id stable per call, so a call is queued once however often it is sent."""
    digest = hashlib.sha256(f"{tenant}\0{call_id}".encode()).hexdigest()[:32]
    return f"crm-call-log-{digest}"


def enqueue_call_log(queue: Queue, call: CallLog) -> Job:
    return queue.enqueue(
        log_call_job,
        call.to_dict(),
        retry=log_call_retry(),
        job_id=call_log_job_id(call.tenant, call.call_id),
        description=f"crm call log {call.tenant}/{call.call_id}",
    )

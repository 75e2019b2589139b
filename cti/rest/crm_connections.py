"""A tenant's CRM connections over REST (docs/crm.md, "Connections in the product"); the
product mounts it beside the live connections it serves (cti/product.py).

- `GET /api/v1/tenants/{tenant}/crm-connections`: every connection with its health.
- `PUT .../crm-connections/{name}`: create (201) or replace (200) one; body = the connector's
  JSON (`kind` and its settings, docs/crm.md). Secrets are sealed at rest and never shown again
  (`secrets_set` names them); left out of a replacement of the same kind, they are kept.
- `GET .../crm-connections/{name}`: settings, `health` (`unknown`, `ok`, `error`), `last_error`,
  `last_checked_at`, `last_synced_at`, `records`.
- `DELETE .../crm-connections/{name}`: 204; syncs stop, its records leave the index.
- `POST .../crm-connections/{name}/sync`: 202; a full sync now.

Tenant admins (their tenant) and the operator; everyone else 403 (provisioning's rules).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from crm_connectors.connections import (
    ConnectionRefused,
    check_resolved_urls,
    kept_secrets,
    parse_connection,
    split,
)
from cti.crm_connections import CrmConnections
from cti.rest.provisioning_access import ERRORS, TenantId, Writer
from provisioning.crm_connections import StoredConnection

router = APIRouter(
    prefix="/api/v1/tenants/{tenant}/crm-connections", tags=["crm"], responses=ERRORS
)

ConnectionName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ConnectionOut(BaseModel):
    name: str
    kind: str
    settings: dict[str, Any]
    secrets_set: list[str]
    health: str
    last_error: str | None
    last_checked_at: datetime | None
    last_synced_at: datetime | None
    records: int | None
    updated_at: datetime
    updated_by: str


class SyncStarted(BaseModel):
    job: str


def _out(stored: StoredConnection, live: CrmConnections) -> ConnectionOut:
    try:
        secrets_set = sorted(live.sealer.open(stored.sealed))
    except Exception:  # a key change: the health says so; the names are just not known
        secrets_set = []
    return ConnectionOut(
        name=stored.name,
        kind=stored.kind,
        settings={k: v for k, v in stored.settings.items() if k not in ("kind", "name")},
        secrets_set=secrets_set,
        health=stored.health.value,
        last_error=stored.last_error,
        last_checked_at=stored.last_checked_at,
        last_synced_at=stored.last_synced_at,
        records=stored.records,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def _live(request: Request) -> CrmConnections:
    live: CrmConnections | None = getattr(request.app.state, "crm_connections", None)
    if live is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "CRM connections are not run by this process"
        )
    return live


async def _found(live: CrmConnections, tenant: str, name: str) -> StoredConnection:
    stored = await run_in_threadpool(live.store.get, tenant, name)
    if stored is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, {"field": "name", "reason": "no such connection"}
        )
    return stored


@router.get("")
async def list_connections(tenant: TenantId, _: Writer, request: Request) -> list[ConnectionOut]:
    live = _live(request)
    return [_out(s, live) for s in await run_in_threadpool(live.store.connections, tenant)]


@router.get("/{name}")
async def get_connection(
    tenant: TenantId, name: ConnectionName, _: Writer, request: Request
) -> ConnectionOut:
    live = _live(request)
    return _out(await _found(live, tenant, name), live)


@router.put("/{name}", responses={201: {"description": "Created"}})
async def put_connection(
    tenant: TenantId,
    name: ConnectionName,
    admin: Writer,
    request: Request,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
) -> ConnectionOut:
    live = _live(request)
    before = await run_in_threadpool(live.store.get, tenant, name)
    kept = kept_secrets(before, body.get("kind"), live.sealer)
    try:
        config = parse_connection(name, {**kept, **body})
        await check_resolved_urls(config)
    except ConnectionRefused as error:
        raise HTTPException(422, {"field": "body", "reason": str(error)}) from None
    settings, secrets = split(config)

    def save() -> tuple[StoredConnection, bool]:
        saved = live.store.put(
            tenant, name, config.kind, settings, live.sealer.seal(secrets),
            actor=admin.username, now=datetime.now(UTC),
        )  # fmt: skip
        live.reload(tenant)
        live.start_syncing(tenant, name)
        return saved

    stored, created = await run_in_threadpool(save)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _out(stored, live)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_connection(
    tenant: TenantId, name: ConnectionName, _: Writer, request: Request
) -> None:
    live = _live(request)
    await _found(live, tenant, name)

    def remove() -> None:
        live.store.delete(tenant, name)
        live.forget(tenant, name)

    await run_in_threadpool(remove)


@router.post("/{name}/sync", status_code=status.HTTP_202_ACCEPTED)
async def sync_connection(
    tenant: TenantId, name: ConnectionName, _: Writer, request: Request
) -> SyncStarted:
    live = _live(request)
    await _found(live, tenant, name)
    return SyncStarted(job=await run_in_threadpool(live.sync_now, tenant, name))

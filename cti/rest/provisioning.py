"""The admin REST API of provisioning: tenants, users (with CSV import) and the audit log here;
numbers, call centers and schedules in provisioning_telephony (included below, so the app
mounts everything with one `include_router`). docs/provisioning.md has examples.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from cti.rest import (
    provisioning_activation,
    provisioning_announcements,
    provisioning_bridge_rooms,
    provisioning_groups,
    provisioning_incoming,
    provisioning_telephony,
    provisioning_trunks,
)
from cti.rest.provisioning_access import (
    ERRORS,
    Auditor,
    Operator,
    Provisioning,
    Reader,
    TenantId,
    Writer,
    call,
)
from cti.rest.provisioning_activation import activation_out
from cti.rest.provisioning_schemas import (
    Deleted,
    ImportOut,
    PageOut,
    RowErrorOut,
    TenantIn,
    UserIn,
    UserOut,
    UserPatchIn,
)
from provisioning.service import UserPatch
from provisioning.tenants import TenantSpec
from provisioning.users import UserSpec
from provisioning.views import AuditEntry, TenantView

router = APIRouter(prefix="/api/v1/tenants", tags=["provisioning"], responses=ERRORS)
router.include_router(provisioning_telephony.router)
router.include_router(provisioning_trunks.router)
router.include_router(provisioning_incoming.router)
router.include_router(provisioning_announcements.router)
router.include_router(provisioning_groups.router)
router.include_router(provisioning_bridge_rooms.router)
router.include_router(provisioning_activation.router)

Username = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip")]
MAX_CSV_BYTES = 1 << 20


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a tenant (operator)")
async def create_tenant(body: TenantIn, operator: Operator, service: Provisioning) -> TenantView:
    spec = TenantSpec(
        id=body.id,
        name=body.name,
        sip_domain=body.sip_domain,
        contract_start=body.contract_start or date.today(),
        time_zone=body.time_zone,
        language=body.language,
        main_number=body.main_number,
        contract_months=body.contract_months,
        contract_profiles=body.contract_profiles,
    )
    return await call(service.create_tenant, operator.username, spec)


@router.get("", summary="List tenants, by id, a page at a time (operator)")
async def list_tenants(
    _: Operator, service: Provisioning, limit: Limit = 50, offset: Offset = 0
) -> PageOut[TenantView]:
    page = await call(service.tenants, limit, offset)
    return PageOut[TenantView].of(page, lambda view: view)


@router.get("/{tenant}")
async def get_tenant(tenant: TenantId, _: Reader, service: Provisioning) -> TenantView:
    return await call(service.tenant, tenant)


@router.post("/{tenant}/users", status_code=status.HTTP_201_CREATED)
async def create_user(
    tenant: TenantId, body: UserIn, admin: Writer, service: Provisioning
) -> UserOut:
    spec = UserSpec(
        username=body.username,
        name=body.name,
        extension=body.extension,
        password=body.password,
        sip_password=body.sip_password,
        profile=body.profile,
        roles=frozenset(body.roles),
        licences=body.licences.domain(),
        language=body.language,
    )
    return UserOut.of(await call(service.create_user, admin.username, tenant, spec))


@router.get("/{tenant}/users", summary="List users, by extension, a page at a time")
async def list_users(
    tenant: TenantId, _: Reader, service: Provisioning, limit: Limit = 50, offset: Offset = 0
) -> PageOut[UserOut]:
    page = await call(service.users, tenant, limit, offset)
    return PageOut[UserOut].of(page, UserOut.of)


@router.get("/{tenant}/users/{username}")
async def get_user(
    tenant: TenantId, username: Username, _: Reader, service: Provisioning
) -> UserOut:
    return UserOut.of(await call(service.user, tenant, username))


@router.patch("/{tenant}/users/{username}")
async def update_user(
    tenant: TenantId, username: Username, body: UserPatchIn, admin: Writer, service: Provisioning
) -> UserOut:
    patch = UserPatch(
        name=body.name,
        extension=body.extension,
        password=body.password,
        sip_password=body.sip_password,
        profile=body.profile,
        roles=None if body.roles is None else frozenset(body.roles),
        licences=None if body.licences is None else body.licences.domain(),
        language=body.language,
    )
    made = await call(
        service.update_user, admin.username, tenant, username, patch, body.confirm_buyout
    )
    return UserOut.of(made)


@router.delete("/{tenant}/users/{username}", summary="Remove a user (cancels its profile, 3.6)")
async def delete_user(
    tenant: TenantId,
    username: Username,
    admin: Writer,
    service: Provisioning,
    confirm_buyout: bool = False,
) -> Deleted:
    buyout = await call(service.delete_user, admin.username, tenant, username, confirm_buyout)
    return Deleted(username=username, buyout_cents=buyout)


@router.post(
    "/{tenant}/users/import",
    summary="Import users from CSV (all rows or none)",
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
    responses={413: {"description": "More than 1 MiB of CSV"}},
)
async def import_users(
    tenant: TenantId,
    request: Request,
    admin: Writer,
    service: Provisioning,
    dry_run: Annotated[bool, Query(description="Only check; report every bad row")] = True,
) -> ImportOut:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_CSV_BYTES:
            raise HTTPException(413, {"field": "body", "reason": "at most 1 MiB of CSV"})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, {"field": "body", "reason": "CSV must be UTF-8"}) from None
    report = await call(service.import_users, admin.username, tenant, text, dry_run)
    errors = [RowErrorOut(line=e.line, field=e.field, reason=e.reason) for e in report.errors]
    if errors and not dry_run:
        rows = [e.model_dump() for e in errors]
        raise HTTPException(422, {"field": "body", "reason": "nothing imported", "errors": rows})
    return ImportOut(
        dry_run=dry_run,
        rows=report.rows,
        imported=len(report.imported),
        errors=errors,
        activations=[activation_out(request, tenant, a) for a in report.activations],
    )


@router.get("/{tenant}/audit-log", summary="Who changed what, newest first (tenant admin)")
async def audit_log(
    tenant: TenantId, _: Auditor, service: Provisioning, limit: Limit = 50, offset: Offset = 0
) -> PageOut[AuditEntry]:
    page = await call(service.audit_log, tenant, limit, offset)
    return PageOut[AuditEntry].of(page, lambda entry: entry)

"""`GET /api/v1/tenants/{tenant}/alerts`: what the PBX told the tenant's admins (toll-fraud guard,
call capacity), newest first (cti/tenant_alerts.py). The tenant's admins, and its supervisors
read as every provisioning GET; agents get 403, another tenant's admin 403 (the tenant wall)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from cti.rest.deps import Services
from cti.rest.provisioning_access import ERRORS, Reader, TenantId
from cti.tenant_alerts import KEPT, recent_alerts

router = APIRouter(tags=["provisioning"], responses=ERRORS)


class AlertOut(BaseModel):
    at: str
    """ISO 8601, UTC."""
    kind: Literal["toll_fraud", "call_capacity"]
    text: str


@router.get("/api/v1/tenants/{tenant}/alerts")
async def tenant_alerts(
    tenant: TenantId,
    _: Reader,
    services: Services,
    limit: Annotated[int, Query(ge=1, le=KEPT)] = 50,
) -> list[AlertOut]:
    found = await recent_alerts(services.redis, services.settings.key_prefix, tenant, limit)
    return [AlertOut(**entry) for entry in found]

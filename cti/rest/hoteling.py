"""Hoteling over REST (docs/hoteling.md): who sits at which host phone, until when; an admin
makes a user a host, ends that, or signs a guest out. Reading: operator, the tenant's admin and
supervisors; writing: operator and admin (`provisioning_access`: another tenant's routes 403).
"""

from __future__ import annotations

import threading
import weakref
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from cti.users import make_engine
from provisioning.hoteling import DEFAULT_MAX_MINUTES, MAX_MAX_MINUTES, MIN_MAX_MINUTES
from provisioning.hoteling_store import HostView, HotelingService

router = APIRouter(tags=["hoteling"], responses=ERRORS)

Extension = Annotated[str, Path(min_length=2, max_length=8, pattern=r"^[0-9]+$")]
HOTELING = "/api/v1/tenants/{tenant}/hoteling"


class HostIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    max_minutes: int = Field(
        DEFAULT_MAX_MINUTES, ge=MIN_MAX_MINUTES, le=MAX_MAX_MINUTES,
        description="A session's longest time",
    )  # fmt: skip


class HostOut(BaseModel):
    extension: str
    name: str
    max_minutes: int
    locked_until: datetime | None = Field(description="Locked after wrong PINs until then")
    guest: str | None = Field(description="The guest's extension, null when nobody sits there")
    guest_name: str | None
    signed_in_at: datetime | None
    expires_at: datetime | None = Field(description="The host's maximum or the end of the day")

    @classmethod
    def of(cls, view: HostView) -> HostOut:
        return cls(
            extension=view.extension,
            name=view.name,
            max_minutes=view.max_minutes,
            locked_until=view.locked_until,
            guest=view.guest,
            guest_name=view.guest_name,
            signed_in_at=view.signed_in_at,
            expires_at=view.expires_at,
        )


class HostsOut(BaseModel):
    hosts: list[HostOut]


_making = threading.Lock()


def get_hoteling(request: Request, _provisioning: Provisioning) -> HotelingService:
    """The product's service (app.state.hoteling, whose changes the PBX hears), or, for a web
    process of its own, one on the provisioning database (migrated by then)."""
    state = request.app.state
    with _making:
        if getattr(state, "hoteling", None) is None:
            engine = make_engine(state.services.settings.database_url)
            weakref.finalize(request.app, engine.dispose)
            state.hoteling = HotelingService(engine)
    service: HotelingService = state.hoteling
    return service


Hoteling = Annotated[HotelingService, Depends(get_hoteling)]


@router.get(HOTELING, summary="Hoteling hosts and who sits where")
async def list_hosts(tenant: TenantId, _: Reader, hoteling: Hoteling) -> HostsOut:
    return HostsOut(hosts=[HostOut.of(v) for v in await call(hoteling.hosts, tenant)])


@router.put(HOTELING + "/{extension}", summary="Make a user a hoteling host")
async def put_host(
    tenant: TenantId, extension: Extension, body: HostIn, admin: Writer, hoteling: Hoteling
) -> HostOut:
    view = await call(hoteling.set_host, admin.username, tenant, extension, body.max_minutes)
    return HostOut.of(view)


@router.delete(
    HOTELING + "/{extension}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="No hoteling host any more (its guest is signed out)",
)
async def delete_host(
    tenant: TenantId, extension: Extension, admin: Writer, hoteling: Hoteling
) -> None:
    await call(hoteling.remove_host, admin.username, tenant, extension)


@router.post(HOTELING + "/{extension}/sign-out", summary="Sign the host's guest out")
async def sign_out(
    tenant: TenantId, extension: Extension, admin: Writer, hoteling: Hoteling
) -> HostOut:
    await call(hoteling.host, tenant, extension)  # 404 for no host
    await call(hoteling.sign_out, admin.username, tenant, extension)
    return HostOut.of(await call(hoteling.host, tenant, extension))

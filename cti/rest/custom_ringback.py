"""A user's custom ringback over REST: the admin's `GET`/`PUT /api/v1/tenants/{tenant}/users/
{username}/custom-ringback` and the user's own `/api/v1/me/custom-ringback`, body
`{"announcement": "<name of one of the tenant's announcements>"}` or `null` (ringing as ever).
One transaction, audit-logged (entity `custom_ringback`), applied by the PBX at once. An unknown
announcement or a profile without CustomRingbackUser: 422 naming `announcement`.
docs/phone-features.md, "Custom ringback".
"""

from __future__ import annotations

import threading
import weakref
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning import Username
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from cti.rest.user_services import own_user
from cti.users import make_engine
from provisioning.custom_ringback import CustomRingbackService, RingbackView
from provisioning.profiles import Profile

router = APIRouter(tags=["user services"], responses=ERRORS)


class RingbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    announcement: Any = Field(description="An announcement's name, or null: ringing")


class RingbackOut(BaseModel):
    username: str
    extension: str
    profile: Profile
    announcement: str | None

    @classmethod
    def of(cls, view: RingbackView) -> RingbackOut:
        return cls(username=view.username, extension=view.extension, profile=view.profile,
                   announcement=view.announcement)  # fmt: skip


_making = threading.Lock()


def get_ringbacks(request: Request, provisioning: Provisioning) -> CustomRingbackService:
    """The product's service (app.state.custom_ringbacks, whose changes the PBX hears), or, for
    a web process of its own, one on the provisioning database (migrated by then)."""
    state = request.app.state
    with _making:
        if getattr(state, "custom_ringbacks", None) is None:
            engine = make_engine(state.services.settings.database_url)
            weakref.finalize(request.app, engine.dispose)
            state.custom_ringbacks = CustomRingbackService(engine)
    service: CustomRingbackService = state.custom_ringbacks
    return service


Ringbacks = Annotated[CustomRingbackService, Depends(get_ringbacks)]
RINGBACK = "/api/v1/tenants/{tenant}/users/{username}/custom-ringback"


@router.get(RINGBACK, summary="A user's custom ringback")
async def get_ringback(
    tenant: TenantId, username: Username, _: Reader, ringbacks: Ringbacks
) -> RingbackOut:
    return RingbackOut.of(await call(ringbacks.get, tenant, username))


@router.put(RINGBACK, summary="Choose a user's custom ringback")
async def put_ringback(
    tenant: TenantId, username: Username, body: RingbackIn, admin: Writer, ringbacks: Ringbacks
) -> RingbackOut:
    choose = ringbacks.choose
    return RingbackOut.of(await call(choose, admin.username, tenant, username, body.announcement))


@router.get("/api/v1/me/custom-ringback", summary="Your own custom ringback")
async def get_my_ringback(principal: CurrentPrincipal, ringbacks: Ringbacks) -> RingbackOut:
    me = own_user(principal)
    return RingbackOut.of(await call(ringbacks.get, me.tenant, me.username))


@router.put("/api/v1/me/custom-ringback", summary="Choose your own custom ringback")
async def put_my_ringback(
    body: RingbackIn, principal: CurrentPrincipal, ringbacks: Ringbacks
) -> RingbackOut:
    me = own_user(principal)
    choose = ringbacks.choose
    return RingbackOut.of(
        await call(choose, me.username, me.tenant, me.username, body.announcement)
    )

"""A user's speed dial list over REST: the admin's `/api/v1/tenants/{tenant}/users/{username}/
speed-dial` and the signed-in user's own `/api/v1/me/speed-dial`. GET reads; PATCH is a JSON
merge patch of slot -> number (`{"2": "1002", "07": null}`: null clears a slot), one
transaction, audit-logged (entity `speed_dial`), dialled by the PBX at once. A wrong slot, a
wrong number or a slot the profile does not include is refused with 422 naming the slot.
Slots and the dialling rule: `common/speed_dial.py`, docs/phone-features.md "Speed dial".
"""

from __future__ import annotations

import threading
import weakref
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, Field

from common.speed_dial import SPEED_DIAL_8, SPEED_DIAL_100
from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning import Username
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from cti.rest.user_services import own_user
from cti.users import make_engine
from provisioning.profiles import FEATURES, Profile
from provisioning.speed_dial_store import SpeedDialService, SpeedDialView

router = APIRouter(tags=["user services"], responses=ERRORS)

Patch = Annotated[
    dict[str, Annotated[str | None, Field(max_length=16)]],
    Body(description="slot -> number to store, or null to clear the slot"),
]


class SpeedDialOut(BaseModel):
    username: str
    extension: str
    profile: Profile
    entries: dict[str, str] = Field(description="slot -> number (2-9: SpeedDial8, 00-99: 100)")
    included: list[str] = Field(description="The speed dial features of the user's profile")

    @classmethod
    def of(cls, view: SpeedDialView) -> SpeedDialOut:
        features = FEATURES[view.profile]
        return cls(
            username=view.username,
            extension=view.extension,
            profile=view.profile,
            entries=dict(sorted(view.entries.items())),
            included=[f for f in (SPEED_DIAL_8, SPEED_DIAL_100) if f in features],
        )


_making = threading.Lock()


def get_speed_dials(request: Request, provisioning: Provisioning) -> SpeedDialService:
    """The product's service (app.state.speed_dials, whose changes the PBX hears), or, for a web
    process of its own, one on the provisioning database (migrated by then)."""
    state = request.app.state
    with _making:
        if getattr(state, "speed_dials", None) is None:
            engine = make_engine(state.services.settings.database_url)
            weakref.finalize(request.app, engine.dispose)
            state.speed_dials = SpeedDialService(engine)
    service: SpeedDialService = state.speed_dials
    return service


SpeedDials = Annotated[SpeedDialService, Depends(get_speed_dials)]
SPEED_DIAL = "/api/v1/tenants/{tenant}/users/{username}/speed-dial"


@router.get(SPEED_DIAL, summary="A user's speed dial list")
async def get_speed_dial(
    tenant: TenantId, username: Username, _: Reader, speed_dials: SpeedDials
) -> SpeedDialOut:
    return SpeedDialOut.of(await call(speed_dials.get, tenant, username))


@router.patch(SPEED_DIAL, summary="Change a user's speed dial list")
async def patch_speed_dial(
    tenant: TenantId, username: Username, body: Patch, admin: Writer, speed_dials: SpeedDials
) -> SpeedDialOut:
    return SpeedDialOut.of(await call(speed_dials.change, admin.username, tenant, username, body))


@router.get("/api/v1/me/speed-dial", summary="Your own speed dial list")
async def get_my_speed_dial(principal: CurrentPrincipal, speed_dials: SpeedDials) -> SpeedDialOut:
    me = own_user(principal)
    return SpeedDialOut.of(await call(speed_dials.get, me.tenant, me.username))


@router.patch("/api/v1/me/speed-dial", summary="Change your own speed dial list")
async def patch_my_speed_dial(
    body: Patch, principal: CurrentPrincipal, speed_dials: SpeedDials
) -> SpeedDialOut:
    me = own_user(principal)
    change = speed_dials.change
    return SpeedDialOut.of(await call(change, me.username, me.tenant, me.username, body))

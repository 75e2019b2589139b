"""A user's alternate numbers over REST (admin): `GET` and `PUT /api/v1/tenants/{tenant}/users/
{username}/alternate-numbers`, body `{"numbers": ["1093", "+31201230050"]}` (the whole list, in
order: the place chooses the distinctive ring; `[]` removes them). One transaction, audit-logged
(entity `alternate_numbers`), rung by the PBX at once. A wrong, duplicate, taken, foreign or
out-of-block number, or a profile without AlternateNumbers: 422 naming `numbers[i]`.
docs/phone-features.md, "Alternate numbers".
"""

from __future__ import annotations

import threading
import weakref
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from cti.rest.provisioning import Username
from cti.rest.provisioning_access import ERRORS, Provisioning, Reader, TenantId, Writer, call
from cti.users import make_engine
from pbx_core.features.alternates import alternate_info_of
from provisioning.alternate_numbers import MAX_ALTERNATES
from provisioning.alternate_numbers_store import AlternateNumbersService, AlternatesView
from provisioning.profiles import Profile

router = APIRouter(tags=["user services"], responses=ERRORS)


class AlternatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers: list[Any] = Field(
        max_length=MAX_ALTERNATES,
        description="Extension-shaped numbers or E.164 direct numbers of the tenant's blocks",
    )


class AlternateOut(BaseModel):
    number: str
    alert_info: str = Field(description="The Alert-Info the user's phone rings with")


class AlternatesOut(BaseModel):
    username: str
    extension: str
    profile: Profile
    numbers: list[AlternateOut]

    @classmethod
    def of(cls, view: AlternatesView) -> AlternatesOut:
        return cls(
            username=view.username,
            extension=view.extension,
            profile=view.profile,
            numbers=[
                AlternateOut(number=n, alert_info=alternate_info_of(place))
                for place, n in enumerate(view.numbers, start=1)
            ],
        )


_making = threading.Lock()


def get_alternates(request: Request, provisioning: Provisioning) -> AlternateNumbersService:
    """The product's service (app.state.alternate_numbers, whose changes the PBX hears), or, for
    a web process of its own, one on the provisioning database (migrated by then)."""
    state = request.app.state
    with _making:
        if getattr(state, "alternate_numbers", None) is None:
            engine = make_engine(state.services.settings.database_url)
            weakref.finalize(request.app, engine.dispose)
            state.alternate_numbers = AlternateNumbersService(engine)
    service: AlternateNumbersService = state.alternate_numbers
    return service


Alternates = Annotated[AlternateNumbersService, Depends(get_alternates)]
ALTERNATES = "/api/v1/tenants/{tenant}/users/{username}/alternate-numbers"


@router.get(ALTERNATES, summary="A user's alternate numbers")
async def get_alternate_numbers(
    tenant: TenantId, username: Username, _: Reader, alternates: Alternates
) -> AlternatesOut:
    return AlternatesOut.of(await call(alternates.get, tenant, username))


@router.put(ALTERNATES, summary="Replace a user's alternate numbers")
async def put_alternate_numbers(
    tenant: TenantId, username: Username, body: AlternatesIn, admin: Writer, alternates: Alternates
) -> AlternatesOut:
    replace = alternates.replace
    return AlternatesOut.of(await call(replace, admin.username, tenant, username, body.numbers))

"""`GET /api/v1/screen-pop?number=`: CRM records that match a phone number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from cti.rest.contacts import viewer_of
from cti.rest.deps import CurrentPrincipal, Services
from cti.screen_pop import lookup_as
from cti.services import CtiServices

router = APIRouter(prefix="/api/v1/screen-pop", tags=["screen pop"])


class ScreenPopRecordOut(BaseModel):
    crm: str
    record_id: str
    name: str
    url: str
    kind: str


class ScreenPopResult(BaseModel):
    number: str
    records: list[ScreenPopRecordOut]


@router.get("", responses={401: {"description": "Not signed in"}})
async def screen_pop(
    number: Annotated[str, Query(pattern=r"^\+?[0-9 ()\-.]{2,32}$")],
    principal: CurrentPrincipal,
    services: Services,
) -> ScreenPopResult:
    return await screen_pop_result(services, principal.tenant, viewer_of(principal), number)


async def screen_pop_result(
    services: CtiServices, tenant: str, viewer: str | None, number: str
) -> ScreenPopResult:
    """The records `viewer` may see for `number` (its personal contacts too; also the Open CTI
    adapter's, cti/rest/opencti.py)."""
    records = await lookup_as(services.screen_pop, tenant, viewer, number)
    return ScreenPopResult(
        number=number,
        records=[
            ScreenPopRecordOut(
                crm=r.crm, record_id=r.record_id, name=r.name, url=r.url, kind=r.kind
            )
            for r in records
        ],
    )

"""Admin API for a tenant's number blocks, direct numbers, call centers and schedules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from cti.rest.provisioning_access import Provisioning, Reader, TenantId, Writer, call
from cti.rest.provisioning_schemas import E164, InputModel, NumberDestination
from provisioning.schedules import ScheduleKind
from provisioning.users import Tier
from provisioning.views import CallCenterView, Holiday, NumberBlockView, NumberView, ScheduleView

router = APIRouter()

CallCenterNumber = Annotated[str, Path(min_length=1, max_length=8, pattern=r"^[0-9]+$")]
ScheduleName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class NumberBlockIn(InputModel):
    first: E164
    size: StrictInt = Field(description="1, 10 or 100 numbers")


class NumberIn(InputModel):
    number: E164
    destination: NumberDestination = Field(
        description="A user's extension, a call center's, hunt group's or menu's number, or a"
        " user's voicemail box (`voicemail:1001`)"
    )


class CallCenterIn(BaseModel):
    """Any engine setting by its docs/queue-engine.md name may be given besides these."""

    model_config = ConfigDict(extra="allow")
    number: str = Field(max_length=8, examples=["7001"])
    name: str = Field(min_length=1, max_length=200)
    tier: Tier
    agents: list[str | dict[str, Any]] = Field([], max_length=500)


class WeeklyScheduleIn(InputModel):
    timezone: str = Field("Europe/Amsterdam", max_length=64)
    hours: list[dict[str, Any]] = Field(
        max_length=100,
        examples=[[{"weekday": 0, "start": "08:00", "end": "18:00"}]],
        description="Opening intervals; weekday 0 = Monday. Overlaps are refused.",
    )


class HolidayCalendarIn(InputModel):
    country: str | None = Field("NL", max_length=8, description="Public holidays of a country")
    timezone: str = Field("Europe/Amsterdam", max_length=64)
    extra_dates: list[str] = Field([], max_length=366, description="Own days, ISO dates")


@router.post("/{tenant}/number-blocks", status_code=status.HTTP_201_CREATED)
async def add_number_block(
    tenant: TenantId, body: NumberBlockIn, admin: Writer, service: Provisioning
) -> NumberBlockView:
    made = await call(service.add_number_block, admin.username, tenant, body.first, body.size)
    return made


@router.get("/{tenant}/number-blocks")
async def list_number_blocks(
    tenant: TenantId, _: Reader, service: Provisioning
) -> list[NumberBlockView]:
    return await call(service.number_blocks, tenant)


@router.post("/{tenant}/numbers", status_code=status.HTTP_201_CREATED)
async def assign_number(
    tenant: TenantId, body: NumberIn, admin: Writer, service: Provisioning
) -> NumberView:
    made = await call(service.assign_number, admin.username, tenant, body.number, body.destination)
    return made


@router.get("/{tenant}/numbers")
async def list_numbers(tenant: TenantId, _: Reader, service: Provisioning) -> list[NumberView]:
    return await call(service.numbers, tenant)


@router.post("/{tenant}/call-centers", status_code=status.HTTP_201_CREATED)
async def create_call_center(
    tenant: TenantId, body: CallCenterIn, admin: Writer, service: Provisioning
) -> CallCenterView:
    settings = body.model_dump(mode="json")
    made = await call(service.create_call_center, admin.username, tenant, settings)
    return made


@router.get("/{tenant}/call-centers")
async def list_call_centers(
    tenant: TenantId, _: Reader, service: Provisioning
) -> list[CallCenterView]:
    return await call(service.call_centers, tenant)


@router.get("/{tenant}/call-centers/{number}")
async def get_call_center(
    tenant: TenantId, number: CallCenterNumber, _: Reader, service: Provisioning
) -> CallCenterView:
    return await call(service.call_center, tenant, number)


@router.patch("/{tenant}/call-centers/{number}", summary="Change settings (JSON merge patch)")
async def update_call_center(
    tenant: TenantId,
    number: CallCenterNumber,
    admin: Writer,
    service: Provisioning,
    patch: Annotated[dict[str, Any], Body(examples=[{"max_waiters": 20}])],
) -> CallCenterView:
    made = await call(service.update_call_center, admin.username, tenant, number, patch)
    return made


@router.put("/{tenant}/schedules/{name}", summary="Create or replace a weekly schedule")
async def put_schedule(
    tenant: TenantId,
    name: ScheduleName,
    body: WeeklyScheduleIn,
    admin: Writer,
    service: Provisioning,
) -> ScheduleView:
    return await call(
        service.put_schedule, admin.username, tenant, ScheduleKind.WEEKLY, name, body.model_dump()
    )


@router.put("/{tenant}/holiday-calendars/{name}", summary="Create or replace a holiday calendar")
async def put_holiday_calendar(
    tenant: TenantId,
    name: ScheduleName,
    body: HolidayCalendarIn,
    admin: Writer,
    service: Provisioning,
) -> ScheduleView:
    data = {"name": name, **body.model_dump()}
    return await call(
        service.put_schedule, admin.username, tenant, ScheduleKind.HOLIDAYS, name, data
    )


@router.get("/{tenant}/holiday-calendars/{name}/days", summary="A calendar's days in a year")
async def holiday_days(
    tenant: TenantId,
    name: ScheduleName,
    _: Reader,
    service: Provisioning,
    year: Annotated[int, Query(ge=1900, le=2200)],
) -> list[Holiday]:
    return await call(service.holidays, tenant, name, year)


@router.get("/{tenant}/schedules", summary="Weekly schedules and holiday calendars")
async def list_schedules(tenant: TenantId, _: Reader, service: Provisioning) -> list[ScheduleView]:
    return await call(service.schedules, tenant)

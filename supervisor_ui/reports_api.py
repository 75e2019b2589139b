"""The reports' public REST API, as the dashboard calls it with the signed-in user's bearer token.

- `GET /api/v1/reports/call-centers/intervals?from&to&interval`: every call center's figures per
  interval (`range`: one row for the whole period);
- `GET /api/v1/reports/agents?from&to&interval=range`: per agent over the period;
- `GET /api/v1/reports/usage?from&to`: outbound usage (admins and API tokens only);
- `GET /api/v1/reports/export?report&format&...`: any of those as a CSV or XLSX file.

The API's scope decides which call centers and agents come back; this client only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import httpx

from supervisor_ui.api_client import ApiError

REPORTS_PATH = "/api/v1/reports"
RANGE = "range"
"""The `interval` that makes one row of the whole period."""

_CODES = {400: "BAD_RANGE", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 422: "BAD_RANGE"}
T = TypeVar("T")


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class CallCenterFigures:
    """One row of the call-center report (the contract's keys)."""

    number: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    bounced: int = 0
    stranded: int = 0
    service_level: float | None = None
    asa_seconds: float | None = None
    aht_seconds: float | None = None
    longest_wait_seconds: float | None = None

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> CallCenterFigures:
        return cls(
            number=str(row["number"]),
            offered=int(row["offered"]),
            answered=int(row["answered"]),
            abandoned=int(row["abandoned"]),
            overflowed=int(row["overflowed"]),
            bounced=int(row["bounced"]),
            stranded=int(row["stranded"]),
            service_level=_optional(row, "service_level"),
            asa_seconds=_optional(row, "asa_seconds"),
            aht_seconds=_optional(row, "aht_seconds"),
            longest_wait_seconds=_optional(row, "longest_wait_seconds"),
        )


@dataclass(frozen=True, slots=True)
class IntervalFigures:
    """A call center's figures over one interval [start, end) (aware, UTC)."""

    start: datetime
    end: datetime
    figures: CallCenterFigures

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> IntervalFigures:
        return cls(
            start=_instant(row["interval_start"]),
            end=_instant(row["interval_end"]),
            figures=CallCenterFigures.from_json(row),
        )


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent over the whole period."""

    agent: str
    answered: int
    talk_seconds: float
    aht_seconds: float | None
    occupancy: float | None
    state_seconds: Mapping[str, float]
    """ACD state -> seconds in it."""
    unavailable_seconds: Mapping[str, float]
    """Unavailable code -> seconds ('' when no code was given)."""

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> AgentFigures:
        return cls(
            agent=str(row["agent"]),
            answered=int(row["answered"]),
            talk_seconds=float(row["talk_seconds"]),
            aht_seconds=_optional(row, "aht_seconds"),
            occupancy=_optional(row, "occupancy"),
            state_seconds=_seconds(row["state_seconds"]),
            unavailable_seconds=_seconds(row["unavailable_seconds"]),
        )


@dataclass(frozen=True, slots=True)
class UsageFigures:
    """Outbound usage of one combination of type, category, number and profile."""

    dimensions: Mapping[str, str | None]
    records: int
    quantity: float
    """Seconds for voice, messages for sms, bytes for data."""

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> UsageFigures:
        return cls(
            dimensions={
                str(k): None if v is None else str(v) for k, v in row["dimensions"].items()
            },
            records=int(row["records"]),
            quantity=float(row["quantity"]),
        )


def _optional(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)


def _seconds(value: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in value.items()}


def _instant(text: Any) -> datetime:
    instant = datetime.fromisoformat(str(text))
    if instant.tzinfo is None:
        raise ValueError(f"an interval bound without offset: {text!r}")
    return instant


def _detail(response: httpx.Response) -> str:
    """The API's reason for its own refusals (a bad range, no access), else the status."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else f"HTTP {response.status_code}"


def _period(start: datetime, end: datetime) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat()}


class ReportsApi:
    """`client` is an httpx.AsyncClient whose base URL is the CTI server (or an ASGI transport)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def _get(self, token: str, report: str, params: Mapping[str, str]) -> httpx.Response:
        try:
            response = await self._client.get(
                f"{REPORTS_PATH}/{report}",
                params=dict(params),
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as error:
            raise ApiError(f"the CTI server cannot be reached ({error})", "UNREACHABLE") from error
        if response.status_code != 200:
            raise ApiError(_detail(response), _CODES.get(response.status_code, "HTTP"))
        return response

    async def _rows(
        self,
        token: str,
        report: str,
        params: Mapping[str, str],
        parse: Callable[[Mapping[str, Any]], T],
    ) -> list[T]:
        response = await self._get(token, report, params)
        try:
            return [parse(row) for row in response.json()]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ApiError("the report API answered in a form this page cannot read") from error

    async def call_center_intervals(
        self,
        token: str,
        start: datetime,
        end: datetime,
        interval: str,
        call_center: str | None = None,
    ) -> list[IntervalFigures]:
        """Figures per interval over [start, end) of `call_center`, or of every call center the
        token may see; intervals are aligned on `start` and the last one is cut at `end`."""
        params = {**_period(start, end), "interval": interval}
        if call_center is not None:
            params["call_center"] = call_center
        return await self._rows(token, "call-centers/intervals", params, IntervalFigures.from_json)

    async def agents(
        self, token: str, start: datetime, end: datetime, agent: str | None = None
    ) -> list[AgentFigures]:
        """`agent`, or each agent the token may see, over the whole of [start, end)."""
        params = {**_period(start, end), "interval": RANGE}
        if agent is not None:
            params["agent"] = agent
        return await self._rows(token, "agents", params, AgentFigures.from_json)

    async def usage(self, token: str, start: datetime, end: datetime) -> list[UsageFigures]:
        """Outbound usage by type, category, number and profile (the API's default)."""
        return await self._rows(token, "usage", _period(start, end), UsageFigures.from_json)

    async def export(
        self, token: str, export_format: ExportFormat, params: Mapping[str, str]
    ) -> bytes:
        """The file of `GET /api/v1/reports/export` with `params` (report, from, to, interval)."""
        response = await self._get(token, "export", {**params, "format": export_format.value})
        return response.content

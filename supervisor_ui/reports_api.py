"""The reports' public REST API, as the dashboard calls it with the supervisor's bearer token.

`GET /api/v1/reports/call-centers?from=...&to=...` (contract.md) gives one row per call center
the token may see over one range; the API's scope decides which call centers come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from supervisor_ui.api_client import ApiError

CALL_CENTERS_PATH = "/api/v1/reports/call-centers"

_CODES = {400: "BAD_RANGE", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 422: "BAD_RANGE"}


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
    def from_json(cls, row: dict[str, Any]) -> CallCenterFigures:
        def ratio(key: str) -> float | None:
            value = row.get(key)
            return None if value is None else float(value)

        return cls(
            number=str(row["number"]),
            offered=int(row["offered"]),
            answered=int(row["answered"]),
            abandoned=int(row["abandoned"]),
            overflowed=int(row["overflowed"]),
            bounced=int(row["bounced"]),
            stranded=int(row["stranded"]),
            service_level=ratio("service_level"),
            asa_seconds=ratio("asa_seconds"),
            aht_seconds=ratio("aht_seconds"),
            longest_wait_seconds=ratio("longest_wait_seconds"),
        )


def _detail(response: httpx.Response) -> str:
    """The API's reason for its own refusals (a bad range, no access), else the status."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else f"HTTP {response.status_code}"


class ReportsApi:
    """`client` is an httpx.AsyncClient whose base URL is the CTI server (or an ASGI transport)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def call_centers(
        self, token: str, start: datetime, end: datetime
    ) -> list[CallCenterFigures]:
        """Figures over [start, end) of every call center the token may see."""
        try:
            response = await self._client.get(
                CALL_CENTERS_PATH,
                params={"from": start.isoformat(), "to": end.isoformat()},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as error:
            raise ApiError(f"the CTI server cannot be reached ({error})", "UNREACHABLE") from error
        if response.status_code != 200:
            code = _CODES.get(response.status_code, "HTTP")
            raise ApiError(_detail(response), code)
        try:
            return [CallCenterFigures.from_json(row) for row in response.json()]
        except (ValueError, KeyError, TypeError) as error:
            raise ApiError("the report API answered in a form this page cannot read") from error

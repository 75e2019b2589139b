"""The report-schedule REST API (`/api/v1/report-schedules`, docs/reports.md "Scheduled
reports"), as the dashboard calls it with the signed-in user's bearer token: the API decides
which schedules a user sees and may make; the page only shows its answers."""

from __future__ import annotations

from typing import Any

import httpx

from supervisor_ui.api_client import ApiError
from supervisor_ui.what_if_api import api_reason

SCHEDULES_PATH = "/api/v1/report-schedules"


class SchedulesApi:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
        try:
            response = await self._client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kw
            )
        except httpx.HTTPError as error:
            raise ApiError(f"the CTI server cannot be reached ({error})", "UNREACHABLE") from error
        if response.status_code >= 400:
            raise ApiError(api_reason(response), str(response.status_code))
        return response

    async def list(self, token: str) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = (await self._call("GET", SCHEDULES_PATH, token)).json()
        return answer

    async def create(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        made: dict[str, Any] = (await self._call("POST", SCHEDULES_PATH, token, json=body)).json()
        return made

    async def delete(self, token: str, schedule_id: int) -> None:
        await self._call("DELETE", f"{SCHEDULES_PATH}/{schedule_id}", token)

    async def send_now(self, token: str, schedule_id: int) -> None:
        await self._call("POST", f"{SCHEDULES_PATH}/{schedule_id}/send", token)

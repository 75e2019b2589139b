"""The what-if simulator's public REST API (`POST /api/v1/what-if`, docs/what-if.md), as the
dashboard calls it with the signed-in user's bearer token."""

from __future__ import annotations

from typing import Any

import httpx

from supervisor_ui.api_client import ApiError

WHAT_IF_PATH = "/api/v1/what-if"


def api_reason(response: httpx.Response) -> str:
    """The API's reason, naming the field for a 422 (the what-if and schedule APIs)."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
    return str(detail)


class WhatIfApi:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def run(self, token: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(
                WHAT_IF_PATH,
                json=request,
                headers={"Authorization": f"Bearer {token}"},
                # A day of traffic is simulated twice; on a busy machine that takes a while.
                timeout=120.0,
            )
        except httpx.HTTPError as error:
            raise ApiError(f"the CTI server cannot be reached ({error})", "UNREACHABLE") from error
        if response.status_code != 200:
            raise ApiError(api_reason(response), str(response.status_code))
        answer: dict[str, Any] = response.json()
        return answer

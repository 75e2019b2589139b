"""Clients the tests use against the real server: httpx for REST/GraphQL-over-HTTP, gql for
subscriptions over `graphql-transport-ws`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.websockets import WebsocketsTransport


async def login(base_url: str, username: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


async def get_report(
    http: httpx.AsyncClient, token: str, path: str, period: dict[str, str], **params: Any
) -> httpx.Response:
    """`GET /api/v1/reports/{path}` over `period` (`{"from", "to"}`) as the token's user."""
    return await http.get(
        f"/api/v1/reports/{path}",
        params={**period, **params},
        headers={"Authorization": f"Bearer {token}"},
    )


async def graphql(
    base_url: str, token: str | None, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors") or []]


@asynccontextmanager
async def ws_session(ws_url: str, token: str) -> AsyncIterator[AsyncClientSession]:
    transport = WebsocketsTransport(
        url=ws_url,
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        yield session


def request(query: str, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(query, variable_values=variables)

"""The dashboard's only way to act: the CTI public API (REST for sign-in, GraphQL for the rest).

Every call carries the signed-in supervisor's bearer token, so the API's own authorization
decides what the supervisor may see and do; the dashboard only turns answers into sentences.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx

GRAPHQL_PATH = "/graphql"
TOKEN_PATH = "/api/v1/auth/token"
USERS_PATH = "/api/v1/tenants/{tenant}/users"
TIMEOUT_SECONDS = 10.0


class ApiError(Exception):
    """The API refused or failed; `message` is for people, `code` for the code."""

    def __init__(self, message: str, code: str = "ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class Session:
    """The signed-in supervisor. Claims are read from the token once the API accepted it."""

    token: str
    username: str
    tenant: str
    role: str
    extension: str | None = None
    call_centers: tuple[str, ...] = ()
    language: str | None = None
    """The user's language in provisioning (None: not a provisioned user)."""

    def to_store(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "username": self.username,
            "tenant": self.tenant,
            "role": self.role,
            "extension": self.extension,
            "call_centers": list(self.call_centers),
            "language": self.language,
        }


@dataclass(frozen=True, slots=True)
class CallCenterInfo:
    id: str
    number: str
    name: str
    tier: str
    night_service_override: bool | None
    forced_forwarding: bool
    service_level_seconds: float
    """The call center's setting: answered within it counts for the service level."""


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    message: str
    code: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


def token_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified: use it only after the API has accepted the token."""
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError) as error:
        raise ApiError(
            "the API returned a token this dashboard cannot read", "BAD_TOKEN"
        ) from error
    if not isinstance(claims, dict):
        raise ApiError("the API returned a token this dashboard cannot read", "BAD_TOKEN")
    return claims


CALL_CENTERS_QUERY = """
query {
  callCenters { id number name tier nightServiceOverride forcedForwarding serviceLevelSeconds }
}
"""


SUPERVISOR_ROLES = ("supervisor", "admin")


def _supervisor_session(token: str, username: str) -> Session:
    """The session of a token the API has just accepted, if it is a supervisor's or an
    admin's. An agent's token is refused however it arrives (sign-in or a stored token): the
    API would show an agent the call centers it belongs to, but the board, its actions and
    its reports are not an agent's tools."""
    claims = token_claims(token)
    role = str(claims.get("role") or "")
    if role not in SUPERVISOR_ROLES:
        raise ApiError("this dashboard is for supervisors; sign in as one", "FORBIDDEN")
    return Session(
        token=token,
        username=str(claims.get("sub") or username),
        tenant=str(claims.get("tenant") or ""),
        role=role,
        extension=claims.get("ext"),
        call_centers=tuple(str(c) for c in claims.get("ccs") or ()),
    )


class SupervisorApi:
    """`client` is an httpx.AsyncClient whose base URL is the CTI server (or an ASGI transport)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def close(self) -> None:
        await self._client.aclose()

    async def sign_in(self, username: str, password: str) -> Session:
        try:
            response = await self._client.post(
                TOKEN_PATH, json={"username": username, "password": password}
            )
        except httpx.HTTPError as error:
            raise ApiError(f"the CTI server cannot be reached ({error})", "UNREACHABLE") from error
        if response.status_code in (401, 422):
            raise ApiError("wrong username or password", "UNAUTHENTICATED")
        if response.status_code != 200:
            raise ApiError(f"sign-in failed (HTTP {response.status_code})", "HTTP")
        token = str(response.json()["access_token"])
        # The API verifies the signature: a query it answers proves the claims are genuine.
        await self.call_centers(token)
        session = _supervisor_session(token, username)
        return replace(session, language=await self.language_of(session))

    async def language_of(self, session: Session) -> str | None:
        """The user's language as provisioned (supervisors and admins read their tenant's
        users); None when the API has no such user (an account outside provisioning)."""
        tenant, user = quote(session.tenant, safe=""), quote(session.username, safe="")
        path = f"{USERS_PATH.format(tenant=tenant)}/{user}"
        try:
            response = await self._client.get(
                path, headers={"Authorization": f"Bearer {session.token}"}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        language = response.json().get("language")
        return language if isinstance(language, str) else None

    async def session_for(self, token: str) -> tuple[Session, list[CallCenterInfo]]:
        """Checks a stored token with the API; returns who it is and the call centers it sees."""
        centers = await self.call_centers(token)
        return _supervisor_session(token, ""), centers

    async def call_centers(self, token: str) -> list[CallCenterInfo]:
        data = await self.graphql(token, CALL_CENTERS_QUERY)
        return [
            CallCenterInfo(
                id=str(c["id"]),
                number=str(c["number"]),
                name=str(c["name"]),
                tier=str(c["tier"]),
                night_service_override=c.get("nightServiceOverride"),
                forced_forwarding=bool(c.get("forcedForwarding")),
                service_level_seconds=float(c["serviceLevelSeconds"]),
            )
            for c in data["callCenters"]
        ]

    async def graphql(
        self, token: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self._client.post(
                GRAPHQL_PATH,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as error:
            raise ApiError(f"the CTI server cannot be reached ({error})", "UNREACHABLE") from error
        try:
            body = response.json()
        except ValueError as error:
            raise ApiError(
                f"the CTI server answered HTTP {response.status_code}", "HTTP"
            ) from error
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0]
            code = str((first.get("extensions") or {}).get("code") or "GRAPHQL")
            message = str(first.get("message") or "request refused")
            if code == "GRAPHQL" and "Cannot query field" in message:
                code = "NOT_IN_SCHEMA"
            raise ApiError(message, code)
        if response.status_code != 200 or not isinstance(body, dict) or "data" not in body:
            raise ApiError(f"the CTI server answered HTTP {response.status_code}", "HTTP")
        data: dict[str, Any] = body["data"] or {}
        return data

    async def mutate(self, token: str, query: str, variables: dict[str, Any]) -> None:
        await self.graphql(token, query, variables)

    # The supervisor's actions (GraphQL mutation names as cti publishes them).

    async def move_call(self, token: str, call_id: str, to_call_center_id: str) -> None:
        await self.mutate(
            token,
            "mutation($c: ID!, $t: ID!) { moveCall(callId: $c, toCallCenterId: $t) { accepted } }",
            {"c": call_id, "t": to_call_center_id},
        )

    async def promote_call(self, token: str, call_id: str, priority: int) -> None:
        await self.mutate(
            token,
            "mutation($c: ID!, $p: Int!) { promoteCall(callId: $c, priority: $p) { accepted } }",
            {"c": call_id, "p": priority},
        )

    async def reorder_call(self, token: str, call_id: str, position: int) -> None:
        await self.mutate(
            token,
            "mutation($c: ID!, $p: Int!) { reorderCall(callId: $c, position: $p) { accepted } }",
            {"c": call_id, "p": position},
        )

    async def retrieve_call(self, token: str, call_id: str, extension: str) -> None:
        await self.mutate(
            token,
            "mutation($c: ID!, $e: String!) { retrieveCall(callId: $c, extension: $e) "
            "{ accepted } }",
            {"c": call_id, "e": extension},
        )

    async def set_night_service(
        self, token: str, call_center_id: str, override: bool | None
    ) -> None:
        await self.mutate(
            token,
            "mutation($cc: ID!, $o: Boolean) { setNightServiceOverride(callCenterId: $cc, "
            "override: $o) { accepted } }",
            {"cc": call_center_id, "o": override},
        )

    async def set_forced_forwarding(
        self, token: str, call_center_id: str, enabled: bool, destination: str | None
    ) -> None:
        await self.mutate(
            token,
            "mutation($cc: ID!, $e: Boolean!, $d: String) { setForcedForwarding("
            "callCenterId: $cc, enabled: $e, destination: $d) { accepted } }",
            {"cc": call_center_id, "e": enabled, "d": destination},
        )

    async def set_agent_state(
        self, token: str, extension: str, state: str, reason: str | None
    ) -> None:
        await self.mutate(
            token,
            "mutation($s: AgentState!, $r: String, $e: String) { setAgentState(state: $s, "
            "reason: $r, extension: $e) { accepted } }",
            {"s": state, "r": reason, "e": extension},
        )

    async def monitor_call(self, token: str, call_id: str, extension: str, mode: str) -> None:
        """Silent monitor (`LISTEN`) or barge in (`BARGE`) from `extension`, the supervisor's
        phone: the PBX rings it and joins it to the agent's call (hang up to leave)."""
        await self.mutate(
            token,
            "mutation($c: ID!, $e: String!, $m: MonitorMode!) { monitorCall(callId: $c, "
            "extension: $e, mode: $m) { accepted } }",
            {"c": call_id, "e": extension, "m": mode},
        )

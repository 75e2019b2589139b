"""Everything a request handler needs, built once per app at startup (no globals)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.concurrency import run_in_threadpool

from cti.connection_slots import ConnectionSlots
from cti.control import CallCenterControl, ControlError
from cti.event_log import EventLog
from cti.fanout import EventFanout
from cti.graphql_api.shared import SharedSubscriptions
from cti.login_throttle import LoginThrottle
from cti.metrics import CtiMetrics
from cti.principal import Principal
from cti.screen_pop import ScreenPopLookup
from cti.settings import CtiSettings
from cti.snapshots import SnapshotStore
from cti.token_revocation import TokenGenerations
from cti.tokens import InvalidToken, TokenSigner, VerifiedToken
from cti.users import API_TOKEN_PREFIX, UserDirectory


@dataclass
class CtiServices:
    settings: CtiSettings
    redis: Redis
    event_log: EventLog
    fanout: EventFanout
    snapshots: SnapshotStore
    users: UserDirectory
    signer: TokenSigner
    screen_pop: ScreenPopLookup
    metrics: CtiMetrics
    control_impl: CallCenterControl | None
    shared_subscriptions: SharedSubscriptions
    login_throttle: LoginThrottle
    connection_slots: ConnectionSlots
    token_generations: TokenGenerations

    @property
    def control(self) -> CallCenterControl:
        if self.control_impl is None:
            raise ControlError("control_unavailable", "call control is not available")
        return self.control_impl

    async def verify_token(self, token: str) -> VerifiedToken:
        """A JWT (signed-in user) or an opaque API token; raises InvalidToken otherwise."""
        token = token.strip()
        if token.startswith(API_TOKEN_PREFIX):
            principal = await run_in_threadpool(self.users.principal_for_api_token, token)
            if principal is None:
                raise InvalidToken("invalid or revoked API token")
            return VerifiedToken(principal, 0, math.inf)
        verified = self.signer.verify(token)
        who = verified.principal
        if verified.generation != await self.token_generations.current(who.tenant, who.username):
            raise InvalidToken("token revoked")
        return verified

    async def principal_for_token(self, token: str) -> Principal:
        return (await self.verify_token(token)).principal

    async def verify_authorization(self, header: str | None) -> VerifiedToken:
        if not header:
            raise InvalidToken("missing Authorization header")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("Authorization must be 'Bearer <token>'")
        return await self.verify_token(token)

    async def principal_for_authorization(self, header: str | None) -> Principal:
        return (await self.verify_authorization(header)).principal

    def split_login(self, username: str) -> tuple[str, str]:
        """`name@tenant`, or a bare name in the default tenant."""
        name, at, tenant = username.rpartition("@")
        if at and name and tenant:
            return tenant, name
        return self.settings.default_tenant, username

"""OAuth2 access tokens from a refresh token (or client credentials), refreshed on demand."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from crm_connectors.errors import CrmAuthError, CrmBadResponseError, CrmError
from crm_connectors.http import RetryPolicy, send_json
from crm_connectors.secrets import Secret

log = logging.getLogger(__name__)

#: Refresh this long before the announced expiry, so a request never leaves with a dying token.
EXPIRY_MARGIN_S = 30.0


@dataclass
class TokenState:
    """What must outlive one event loop: rq jobs each run in a fresh `asyncio.run`, and Exact
    forbids refreshing more than once per 570 s, so the token is kept per connector in the worker
    process (see `ConnectorFactory`) rather than per connector object."""

    refresh_token: Secret | None
    access: Secret | None = None
    expires_at: float = 0.0
    refreshed_at: float | None = None
    instance_url: str | None = None

    def __repr__(self) -> str:
        return f"TokenState(expires_at={self.expires_at}, refreshed_at={self.refreshed_at})"


class OAuth2Token:
    """Keeps one access token for a connector and refreshes it when it expires or is rejected.

    Exact Online rotates the refresh token on every refresh and allows at most one refresh per
    570 s (`min_refresh_interval_s`); `on_refresh_token` lets the owner persist the new one.
    """

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        refresh_token: Secret | None,
        min_refresh_interval_s: float = 0.0,
        scope: str | None = None,
        on_refresh_token: Callable[[Secret], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        state: TokenState | None = None,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._min_interval = min_refresh_interval_s
        self._scope = scope
        """Sent with each refresh where the vendor asks for it (Microsoft identity platform)."""
        self._on_refresh_token = on_refresh_token
        self._clock = clock
        self.state = state if state is not None else TokenState(refresh_token=refresh_token)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"OAuth2Token(token_url={self._token_url!r}, client_id={self._client_id!r})"

    @property
    def instance_url(self) -> str | None:
        """Set from the token response: Salesforce tells us which instance to call."""
        return self.state.instance_url

    async def access_token(self, client: httpx.AsyncClient) -> str:
        async with self._lock:
            st = self.state
            if st.access is None or self._clock() >= st.expires_at - EXPIRY_MARGIN_S:
                await self._refresh(client)
            assert st.access is not None
            return st.access.reveal()

    async def invalidate(self, client: httpx.AsyncClient, rejected: str) -> str:
        """The server said 401 to `rejected`: get a new token unless another task already did."""
        async with self._lock:
            st = self.state
            if st.access is not None and st.access.reveal() != rejected:
                return st.access.reveal()
            await self._refresh(client)
            assert st.access is not None
            return st.access.reveal()

    async def _refresh(self, client: httpx.AsyncClient) -> None:
        st = self.state
        now = self._clock()
        if st.refreshed_at is not None and now - st.refreshed_at < self._min_interval:
            # Refreshing again would break the vendor's limit (and, at Exact, count as an
            # error toward its hourly cap); fail this request and let the job retry later.
            raise CrmAuthError("token rejected, and the refresh interval has not passed yet")
        form = {"client_id": self._client_id, "client_secret": self._client_secret.reveal()}
        if st.refresh_token is not None:
            form |= {"grant_type": "refresh_token", "refresh_token": st.refresh_token.reveal()}
        else:
            form["grant_type"] = "client_credentials"
        if self._scope is not None:
            form["scope"] = self._scope
        try:
            body = await send_json(
                client, "POST", self._token_url, data=form, retry=RetryPolicy(attempts=2)
            )
        except CrmBadResponseError as exc:
            # 400 invalid_grant is how token endpoints say "refresh token revoked".
            raise CrmAuthError(f"token endpoint refused the grant: {exc}") from exc
        except CrmError:
            raise
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise CrmBadResponseError("token endpoint answered without access_token")
        st.access = Secret(body["access_token"])
        st.refreshed_at = now
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        st.expires_at = now + lifetime
        if isinstance(body.get("instance_url"), str):
            st.instance_url = body["instance_url"]
        new_refresh = body.get("refresh_token")
        if isinstance(new_refresh, str) and new_refresh:
            st.refresh_token = Secret(new_refresh)
            if self._on_refresh_token is not None:
                self._on_refresh_token(st.refresh_token)
        log.info("refreshed OAuth2 access token for client %s", self._client_id)

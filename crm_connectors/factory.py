"""Builds connectors (see `kinds`), and keeps what must outlive one connector object."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from crm_connectors.connector import CrmConnector
from crm_connectors.http import DEFAULT_RETRY, RetryPolicy
from crm_connectors.kinds import ConnectorConfig, Wiring, build_connector
from crm_connectors.oauth import TokenState
from crm_connectors.secrets import Secret

#: Called with (tenant, connector name, new refresh token) when a vendor rotates it.
RefreshTokenSink = Callable[[str, str, Secret], None]


class ConnectorFactory:
    """One per process. Holds OAuth2 token state per (tenant, connector) across event loops."""

    def __init__(
        self,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        on_refresh_token: RefreshTokenSink | None = None,
    ) -> None:
        self._retry = retry
        self._on_refresh_token = on_refresh_token
        self._tokens: dict[tuple[str, str], TokenState] = {}
        self._lock = threading.Lock()

    def _token_state(self, tenant: str, name: str, refresh: Secret | None) -> TokenState:
        with self._lock:
            return self._tokens.setdefault((tenant, name), TokenState(refresh_token=refresh))

    def _sink(self, tenant: str, name: str) -> Callable[[Secret], None] | None:
        sink = self._on_refresh_token
        if sink is None:
            return None
        return lambda token: sink(tenant, name, token)

    def build(
        self, tenant: str, config: ConnectorConfig, client: httpx.AsyncClient
    ) -> CrmConnector:
        """A connector bound to `client` (and so to the event loop that client lives in)."""
        wiring = Wiring(
            client=client,
            retry=self._retry,
            token_state=lambda refresh: self._token_state(tenant, config.name, refresh),
            on_refresh_token=self._sink(tenant, config.name),
        )
        return build_connector(config, wiring)

"""Builds connectors from typed configuration, and keeps what must outlive one connector object."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from crm_connectors.afas import AfasConnector
from crm_connectors.config import (
    AfasConfig,
    ConnectorConfig,
    ExactOnlineConfig,
    GenericRestConfig,
    GenericSqlConfig,
    SalesforceConfig,
)
from crm_connectors.connector import CrmConnector
from crm_connectors.exact_online import ExactOnlineConnector
from crm_connectors.generic_rest import GenericRestConnector
from crm_connectors.generic_sql import GenericSqlConnector
from crm_connectors.http import DEFAULT_RETRY, RetryPolicy
from crm_connectors.oauth import TokenState
from crm_connectors.salesforce import SalesforceConnector
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
        if isinstance(config, SalesforceConfig):
            return SalesforceConnector(
                config,
                client,
                on_refresh_token=self._sink(tenant, config.name),
                token_state=self._token_state(tenant, config.name, config.refresh_token),
            )
        if isinstance(config, ExactOnlineConfig):
            return ExactOnlineConnector(
                config,
                client,
                retry=self._retry,
                on_refresh_token=self._sink(tenant, config.name),
                token_state=self._token_state(tenant, config.name, config.refresh_token),
            )
        if isinstance(config, AfasConfig):
            return AfasConnector(config, client, retry=self._retry)
        if isinstance(config, GenericRestConfig):
            return GenericRestConnector(config, client, retry=self._retry)
        if isinstance(config, GenericSqlConfig):
            return GenericSqlConnector(config)
        raise TypeError(f"unknown connector config {type(config).__name__}")

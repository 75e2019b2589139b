"""Tenants' connector configuration and the live connector objects of one event loop."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from crm_connectors.config import TenantCrmConfig
from crm_connectors.connector import CrmConnector
from crm_connectors.factory import ConnectorFactory


class ConnectorRegistry:
    """Owned by one long-lived event loop (the CTI server's). Builds connectors lazily.

    It owns one `httpx.AsyncClient` (connection pooling across tenants); create it inside the
    loop that will use it, and `aclose()` it on shutdown.
    """

    def __init__(
        self,
        configs: Iterable[TenantCrmConfig] = (),
        *,
        factory: ConnectorFactory | None = None,
        http_timeout_s: float = 10.0,
    ) -> None:
        self._configs = {c.tenant: c for c in configs}
        self._factory = factory or ConnectorFactory()
        self._timeout = http_timeout_s
        self._client: httpx.AsyncClient | None = None
        self._built: dict[str, list[CrmConnector]] = {}
        self._retired: list[CrmConnector] = []

    def configure(self, config: TenantCrmConfig) -> None:
        """Set or replace a tenant's configuration; its connectors are rebuilt on next use."""
        self._configs[config.tenant] = config
        self._retired.extend(self._built.pop(config.tenant, []))

    def config(self, tenant: str) -> TenantCrmConfig | None:
        return self._configs.get(tenant)

    def tenants(self) -> list[str]:
        return sorted(self._configs)

    def connectors(self, tenant: str) -> list[CrmConnector]:
        built = self._built.get(tenant)
        if built is None:
            config = self._configs.get(tenant)
            if config is None:
                return []
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=self._timeout)
            built = [self._factory.build(tenant, c, self._client) for c in config.connectors]
            self._built[tenant] = built
        return list(built)

    def connector(self, tenant: str, name: str) -> CrmConnector | None:
        return next((c for c in self.connectors(tenant) if c.name == name), None)

    async def aclose(self) -> None:
        for connectors in [*self._built.values(), self._retired]:
            for connector in connectors:
                await connector.aclose()
        self._built.clear()
        self._retired.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

"""Admin-configured CRM connections: an API body into a checked configuration, the stored row
(settings + sealed secrets, `provisioning.crm_connections`) back into one, and the hooks that
keep the row current (rotated refresh tokens, sync health).

Endpoints are an attack surface (a tenant admin chooses them, the server calls them): URLs must
be `https`, never a loopback, private or link-local address literal or `localhost`, unless the
host is listed in `OPENCC_CRM_HTTP_HOSTS` (tests, an on-premises CRM); SQL connections reach
network databases only (no SQLite or other file drivers: those would read the server's files).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import os
import socket
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crm_connectors.config import FieldMapping, TenantCrmConfig, public_dict
from crm_connectors.factory import RefreshTokenSink
from crm_connectors.kinds import ConnectorConfig, connector_config_from_dict
from crm_connectors.sealing import Sealer, SealingError
from crm_connectors.secrets import Secret
from provisioning.crm_connections import CrmConnectionStore, StoredConnection

log = logging.getLogger(__name__)

HTTP_HOSTS_ENV = "OPENCC_CRM_HTTP_HOSTS"
SQL_BACKENDS = frozenset({"postgresql", "mysql", "mariadb", "mssql", "oracle"})
MAX_BODY_FIELDS = 40


class ConnectionRefused(ValueError):
    """An unusable connection body; the message names the field and the reason."""


def _allowed_http_hosts(environ: Mapping[str, str]) -> frozenset[str]:
    return frozenset(h.strip().lower() for h in environ.get(HTTP_HOSTS_ENV, "").split(",") if h)


def check_url(field: str, url: str, environ: Mapping[str, str] = os.environ) -> None:
    """The outbound URL policy for every endpoint a tenant chooses (CRM connections, CardDAV
    address books): https to a public host, or a host the operator listed."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as error:
        raise ConnectionRefused(f"{field}: not a URL ({error})") from None
    if not host:
        raise ConnectionRefused(f"{field}: a URL with a host is required")
    if host in _allowed_http_hosts(environ):
        if parts.scheme not in ("http", "https"):
            raise ConnectionRefused(f"{field}: http or https only")
        return
    if parts.scheme != "https":
        raise ConnectionRefused(f"{field}: https only")
    if host == "localhost" or host.endswith(".localhost"):
        raise ConnectionRefused(f"{field}: not a public host")
    address = _address_literal(host)
    if address is not None and not address.is_global:
        raise ConnectionRefused(f"{field}: not a public address")


def _address_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names without DNS: a standard literal, or one of the legacy IPv4
    spellings the system resolver also accepts (`127.1`, `2130706433`, `0x7f.1`), which
    `ipaddress` does not parse and would otherwise pass for names."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


async def check_resolved(field: str, url: str, environ: Mapping[str, str] = os.environ) -> None:
    """`check_url` again just before a call, with the host's DNS answers: a public name that
    resolves to a loopback or private address (DNS set up to reach the server's own network) is
    refused too. Names the operator listed are trusted as they are."""
    check_url(field, url, environ)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in _allowed_http_hosts(environ):
        return
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(
            host, parts.port or 443, type=socket.SOCK_STREAM
        )
    except OSError as error:
        raise ConnectionRefused(f"{field}: {host} does not resolve ({error})") from None
    for *_, sockaddr in answers:
        if not ipaddress.ip_address(sockaddr[0]).is_global:
            raise ConnectionRefused(f"{field}: {host} resolves to a non-public address")


async def check_resolved_urls(
    config: ConnectorConfig, environ: Mapping[str, str] = os.environ
) -> None:
    """`check_resolved` for every URL of a checked configuration (`parse_connection` looked at
    the text only): run when an admin saves a connection."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name.endswith("url") and isinstance(value, str):
            await check_resolved(field.name, value, environ)


def _check_sql_url(url: str) -> None:
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        raise ConnectionRefused("url: not a database URL") from None
    if backend not in SQL_BACKENDS:
        raise ConnectionRefused(f"url: a network database ({', '.join(sorted(SQL_BACKENDS))})")


def _check_type(config: ConnectorConfig, field: dataclasses.Field[Any], value: Any) -> None:
    """The dataclasses do not check types; a wrong one would only fail at sync time."""
    hint = typing.get_type_hints(type(config))[field.name]
    allowed = typing.get_args(hint) or (hint,)
    for option in allowed:
        if option is type(None) and value is None:
            return
        if option is bool and isinstance(value, bool):
            return
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return
        if option in (str, Secret, FieldMapping) and isinstance(value, option):
            return
    raise ConnectionRefused(f"{field.name}: wrong type ({type(value).__name__})")


def _check_mapping(mapping: FieldMapping) -> None:
    for field in dataclasses.fields(mapping):
        value: Any = getattr(mapping, field.name)
        paths = value if field.name == "phones" else (value,)
        if not all(isinstance(p, str) or (p is None and field.name != "phones") for p in paths):
            raise ConnectionRefused(f"mapping.{field.name}: field paths are text")


def parse_connection(
    name: str, body: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> ConnectorConfig:
    """A checked connector configuration from an admin's body (its `kind` and settings)."""
    if len(body) > MAX_BODY_FIELDS:
        raise ConnectionRefused("too many fields")
    try:
        config = connector_config_from_dict({**body, "name": name})
    except (ValueError, TypeError, KeyError) as error:
        raise ConnectionRefused(str(error)) from None
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        _check_type(config, field, value)
        if field.name.endswith("url") and isinstance(value, str):
            check_url(field.name, value, environ)
    url = getattr(config, "url", None)
    if isinstance(url, Secret):
        _check_sql_url(url.reveal())
    mapping = getattr(config, "mapping", None)
    if isinstance(mapping, FieldMapping):
        _check_mapping(mapping)
    return config


def split(config: ConnectorConfig) -> tuple[dict[str, Any], dict[str, str]]:
    """(settings without secrets, the secrets' plain values) of a configuration."""
    settings = public_dict(config)
    settings.pop("secrets_set", None)
    secrets = {
        f.name: value.reveal()
        for f in dataclasses.fields(config)
        if isinstance(value := getattr(config, f.name), Secret)
    }
    return settings, secrets


def kept_secrets(stored: StoredConnection | None, kind: Any, sealer: Sealer) -> dict[str, str]:
    """The stored secrets an update of the same kind keeps when it leaves them out (an API
    never shows them, so an admin changing a URL need not type the password again)."""
    if stored is None or stored.kind != kind:
        return {}
    try:
        return sealer.open(stored.sealed)
    except SealingError:
        return {}


def config_of(stored: StoredConnection, sealer: Sealer) -> ConnectorConfig:
    return connector_config_from_dict({**stored.settings, **sealer.open(stored.sealed)})


def tenant_config(
    store: CrmConnectionStore, sealer: Sealer, tenant: str, base: TenantCrmConfig | None = None
) -> TenantCrmConfig | None:
    """The tenant's stored connections (after `base`'s, e.g. the demo CRM); a row that cannot
    be opened is left out and marked in its health, never taken down with the others."""
    connectors = list(base.connectors) if base else []
    for stored in store.connections(tenant):
        try:
            connectors.append(config_of(stored, sealer))
        except (SealingError, ValueError, TypeError) as error:
            store.record_health(tenant, stored.name, at=datetime.now(UTC), error=str(error))
    if not connectors:
        return None
    return TenantCrmConfig(tenant=tenant, connectors=tuple(connectors))


def persist_refresh_tokens(store: CrmConnectionStore, sealer: Sealer) -> RefreshTokenSink:
    """A `ConnectorFactory(on_refresh_token=...)` sink: a vendor's rotated refresh token
    replaces the stored one at once (Exact accepts each only once)."""

    def persist(tenant: str, name: str, token: Secret) -> None:
        stored = store.get(tenant, name)
        if stored is None:
            return
        secrets = {**sealer.open(stored.sealed), "refresh_token": token.reveal()}
        store.reseal(tenant, name, sealer.seal(secrets))
        log.info("crm %s/%s: rotated refresh token stored", tenant, name)

    return persist


SyncOutcome = Callable[[str, str, int | None, str | None], None]
"""(tenant, connector, records written or None, error or None)."""


def record_sync_outcome(store: CrmConnectionStore) -> SyncOutcome:
    def record(tenant: str, name: str, written: int | None, error: str | None) -> None:
        if store.get(tenant, name) is None:
            return  # a connector from code (the demo CRM) has no row
        store.record_health(tenant, name, at=datetime.now(UTC), error=error, synced_records=written)

    return record

"""The registry of connector kinds: kind name -> configuration class -> connector builder.

Once a kind's configuration class (config.py) and connector module exist, registering it is one
edit here: the class joins `ConnectorConfig`, which gives `KINDS` (what
`connector_config_from_dict` accepts), and mypy's `assert_never` in `build_connector` then insists
on the case that builds its connector, next to it.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, assert_never

import httpx

from crm_connectors.afas import AfasConnector
from crm_connectors.config import (
    AfasConfig,
    ExactOnlineConfig,
    FieldMapping,
    GenericRestConfig,
    GenericSqlConfig,
    SalesforceConfig,
    TenantCrmConfig,
)
from crm_connectors.connector import CrmConnector
from crm_connectors.exact_online import ExactOnlineConnector
from crm_connectors.generic_rest import GenericRestConnector
from crm_connectors.generic_sql import GenericSqlConnector
from crm_connectors.http import RetryPolicy
from crm_connectors.oauth import TokenState
from crm_connectors.salesforce import SalesforceConnector
from crm_connectors.secrets import Secret

ConnectorConfig = (
    SalesforceConfig | ExactOnlineConfig | AfasConfig | GenericRestConfig | GenericSqlConfig
)
"""The closed set of connector configurations, one class per kind."""


def _by_kind(classes: tuple[type[ConnectorConfig], ...]) -> dict[str, type[ConnectorConfig]]:
    by_kind: dict[str, type[ConnectorConfig]] = {}
    for cls in classes:
        # A repeated name would silently make one kind unreachable from JSON.
        if cls.kind in by_kind:
            other = by_kind[cls.kind].__name__
            raise TypeError(f"{cls.__name__} and {other} share the kind {cls.kind!r}")
        by_kind[cls.kind] = cls
    return by_kind


KINDS: Final[Mapping[str, type[ConnectorConfig]]] = _by_kind(typing.get_args(ConnectorConfig))


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a connector gets besides its configuration; `ConnectorFactory` supplies it."""

    client: httpx.AsyncClient
    retry: RetryPolicy
    #: The OAuth2 token state kept for this connector, seeded with the configured refresh token.
    token_state: Callable[[Secret | None], TokenState]
    #: Told about every refresh token a vendor rotates, when the owner wants to persist it.
    on_refresh_token: Callable[[Secret], None] | None


def build_connector(config: ConnectorConfig, wiring: Wiring) -> CrmConnector:
    """The connector of `config`'s kind, bound to `wiring.client` (and so to its event loop)."""
    match config:
        case SalesforceConfig():
            return SalesforceConnector(
                config,
                wiring.client,
                on_refresh_token=wiring.on_refresh_token,
                token_state=wiring.token_state(config.refresh_token),
            )
        case ExactOnlineConfig():
            return ExactOnlineConnector(
                config,
                wiring.client,
                retry=wiring.retry,
                on_refresh_token=wiring.on_refresh_token,
                token_state=wiring.token_state(config.refresh_token),
            )
        case AfasConfig():
            return AfasConnector(config, wiring.client, retry=wiring.retry)
        case GenericRestConfig():
            return GenericRestConnector(config, wiring.client, retry=wiring.retry)
        case GenericSqlConfig():
            return GenericSqlConnector(config)
        case _:
            assert_never(config)


def connector_config_from_dict(data: dict[str, Any]) -> ConnectorConfig:
    """Build a typed connector configuration from plain JSON (an admin API body, a file).

    `kind` picks the class; secret fields are wrapped in `Secret`; `mapping` becomes a
    `FieldMapping`. Unknown keys are refused so a typo never silently drops a setting.
    """
    kind = data.get("kind")
    cls = KINDS.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown connector kind {kind!r}; expected one of {sorted(KINDS)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names - {"kind"}
    if unknown:
        raise ValueError(f"unknown {kind} settings: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "kind":
            continue
        hint = hints[name]
        if _mentions(hint, Secret):
            values[name] = None if value is None else Secret(str(value))
        elif _mentions(hint, FieldMapping):
            mapping = dict(value)
            if "phones" in mapping:
                mapping["phones"] = tuple(mapping["phones"])
            values[name] = FieldMapping(**mapping)
        else:
            values[name] = value
    return cls(**values)


def tenant_config_from_dict(data: dict[str, Any]) -> TenantCrmConfig:
    connectors = tuple(connector_config_from_dict(c) for c in data.get("connectors", ()))
    names = [c.name for c in connectors]
    if len(names) != len(set(names)):
        raise ValueError("connector names must be unique within a tenant")
    return TenantCrmConfig(tenant=str(data["tenant"]), connectors=connectors)


def _mentions(hint: Any, cls: type) -> bool:
    return hint is cls or cls in typing.get_args(hint)

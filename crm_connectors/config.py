"""Per-tenant connector configuration: one frozen class per kind (registered in `kinds`).

Secrets are `Secret` values: masked in repr/str, refused by pickle, and left out of
`public_dict()`, which is the only form an API may return.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from crm_connectors.secrets import Secret

if TYPE_CHECKING:
    # The closed union lives with the kinds registry, which imports every connector (and they
    # import their configuration classes from here): a type-only import keeps that a tree.
    from crm_connectors.kinds import ConnectorConfig


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Where a record's fields are in a source row. Dotted paths reach into nested JSON.

    `url_template` may use `{id}` and any top-level row field; `url` names a field that holds a
    ready link and wins when present.
    """

    id: str
    name: str
    company: str | None = None
    phones: tuple[str, ...] = ("phone",)
    url: str | None = None
    url_template: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class SalesforceConfig:
    name: str
    instance_url: str
    client_id: str
    client_secret: Secret
    #: refresh-token grant when set (a connected app authorised by a user), else client credentials.
    refresh_token: Secret | None = None
    token_url: str = "https://login.salesforce.com/services/oauth2/token"
    api_version: str = "61.0"
    #: Salesforce is the one cloud asked during a screen-pop (SOSL is cheap); short and cached.
    live_lookup: bool = True
    live_timeout_s: float = 0.8
    cache_ttl_s: float = 60.0
    kind: ClassVar[str] = "salesforce"


@dataclass(frozen=True, slots=True)
class ExactOnlineConfig:
    name: str
    division: int
    client_id: str
    client_secret: Secret
    refresh_token: Secret
    base_url: str = "https://start.exactonline.nl"
    #: Exact allows one refresh per 570 s; tokens live ~600 s.
    min_refresh_interval_s: float = 570.0
    live_lookup: bool = False
    kind: ClassVar[str] = "exact_online"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/oauth2/token"


@dataclass(frozen=True, slots=True)
class AfasConfig:
    name: str
    #: e.g. `https://12345.rest.afas.online` (the environment's REST host).
    base_url: str
    get_connector: str
    #: the `<data>` part of the AFAS app token; the header wraps and base64-encodes it.
    token: Secret
    mapping: FieldMapping = FieldMapping(
        id="BcCo", name="Nm", company="Nm", phones=("TeNr", "MbNr"), kind="Organisatie"
    )
    #: GetConnector field holding a last-modified timestamp; enables delta sync.
    modified_field: str | None = None
    page_size: int = 100
    #: UpdateConnector that stores a call as a dossier item (KnSubject); None disables logging.
    subject_connector: str | None = "KnSubject"
    subject_type: int = 1
    live_lookup: bool = False
    kind: ClassVar[str] = "afas"


@dataclass(frozen=True, slots=True)
class GenericRestConfig:
    """Any REST/JSON CRM, configured without code.

    `lookup_url` is a template with `{number}` (E.164, URL-encoded), `{national}` and `{digits}`.
    `records_path` is the dotted path to the list of rows in the response ("" = the body itself).
    """

    name: str
    lookup_url: str
    mapping: FieldMapping
    records_path: str = ""
    auth_header: str = "Authorization"
    auth_value: Secret | None = None
    #: optional full listing for the index; `next_path` names a next-page link in the body.
    list_url: str | None = None
    next_path: str | None = None
    #: optional: POST the call log as JSON here; `{id}` is the record id.
    log_url: str | None = None
    live_lookup: bool = True
    live_timeout_s: float = 0.8
    kind: ClassVar[str] = "rest"


@dataclass(frozen=True, slots=True)
class GenericSqlConfig:
    """Any SQL source SQLAlchemy reaches (ODBC/Access-style CRMs, the demo CRM).

    `lookup_query` binds `:number` (E.164), `:national` and `:digits`; `list_query` returns every
    row for the index. The URL is a secret because it usually carries a password.
    """

    name: str
    url: Secret
    mapping: FieldMapping
    lookup_query: str | None = None
    list_query: str | None = None
    live_lookup: bool = False
    live_timeout_s: float = 0.8
    kind: ClassVar[str] = "sql"


@dataclass(frozen=True, slots=True)
class TenantCrmConfig:
    tenant: str
    connectors: tuple[ConnectorConfig, ...] = field(default_factory=tuple)

    def connector(self, name: str) -> ConnectorConfig | None:
        return next((c for c in self.connectors if c.name == name), None)


def public_dict(config: ConnectorConfig | TenantCrmConfig | FieldMapping) -> dict[str, Any]:
    """The API form: every field except secrets, plus `secrets_set` naming the configured ones."""
    out: dict[str, Any] = {}
    secrets_set: list[str] = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, Secret):
            secrets_set.append(f.name)
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out[f.name] = public_dict(value)  # type: ignore[arg-type]
        elif isinstance(value, tuple):
            out[f.name] = [
                public_dict(v) if dataclasses.is_dataclass(v) else v  # type: ignore[arg-type]
                for v in value
            ]
        else:
            out[f.name] = value
    kind = getattr(config, "kind", None)
    if isinstance(kind, str):
        out["kind"] = kind
    if not isinstance(config, TenantCrmConfig | FieldMapping):
        out["secrets_set"] = sorted(secrets_set)
    return out

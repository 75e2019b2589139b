"""Bel-me-nu buttons (seed 3.3.6) in SQL: a tenant's web callback buttons, each with a public id
the company's website embeds, the extension it rings first, the exact origins (sites) allowed to
use it, whether it may call visitors abroad, and an on/off switch. Changes are audited.

The id is random (not the tenant's name and a counter): it is published on the company's website,
and it must not let anyone guess the other buttons of the tenant or of the platform.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy import update as sql_update

from provisioning.errors import Invalid, NotFound
from provisioning.group_services import GroupKind, group_services
from provisioning.models import METADATA, TENANT_ID, call_centers, users

if TYPE_CHECKING:  # provisioning.db imports this module for its table
    from provisioning.service import ProvisioningService

ENTITY = "belmenu_button"
"""The audit log's name of a change here."""
ID_BYTES = 12
"""16 URL-safe characters: 96 random bits, never guessed."""
MAX_ORIGINS = 20
MAX_LABEL = 100

belmenu_buttons = Table(
    "prov_belmenu_buttons",
    METADATA,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("label", String(MAX_LABEL), nullable=False),
    # A user's extension or a hunt group's number (rung first, pbx_core/sip/click_to_dial.py),
    # or a call center's (the visitor waits a turn in its queue).
    Column("destination", String(8), nullable=False),
    # Exact origins (`https://www.example.nl`) whose pages may post to the button.
    Column("origins", JSON, nullable=False),
    Column("international", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
)


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    label: str
    destination: str
    origins: tuple[str, ...]
    international: bool = False
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ButtonView:
    id: str
    tenant: str
    label: str
    destination: str
    origins: list[str]
    international: bool
    enabled: bool


def _view(row: Any) -> ButtonView:
    return ButtonView(
        row.id, row.tenant, row.label, row.destination, list(row.origins),
        row.international, row.enabled,
    )  # fmt: skip


def normal_origin(text: str) -> str:
    """`text` as a browser sends it in `Origin` (scheme://host[:port], lower case, no default
    port), or Invalid naming `origins`."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise Invalid("origins", f"{text!r} is no origin") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("origins", f"{text!r}: an origin is http(s)://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise Invalid("origins", f"{text!r}: an origin has no path, query or user")
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    suffix = "" if port in (None, default) else f":{port}"
    return f"{parts.scheme}://{host}{suffix}"


def _checked(connection: Connection, tenant: str, spec: ButtonSpec) -> ButtonSpec:
    label = spec.label.strip()
    if not label or len(label) > MAX_LABEL:
        raise Invalid("label", f"1-{MAX_LABEL} characters")
    if not spec.origins:
        raise Invalid("origins", "at least one site may use the button")
    if len(spec.origins) > MAX_ORIGINS:
        raise Invalid("origins", f"at most {MAX_ORIGINS}")
    origins = tuple(dict.fromkeys(normal_origin(o) for o in spec.origins))
    queue = connection.execute(
        select(call_centers.c.id).where(
            call_centers.c.tenant == tenant, call_centers.c.number == spec.destination
        )
    ).first()
    if queue is not None:
        # A call center's number: the request is a callback that waits its turn in the queue
        # (docs/callback.md).
        return ButtonSpec(label, spec.destination, origins, spec.international, spec.enabled)
    # A user (licensed for the call center or not) or a hunt group: the PBX's click-to-dial,
    # the group's members by its policy (cti/belmenu_calls.py).
    user = select(users.c.extension).where(
        users.c.tenant == tenant, users.c.extension == spec.destination
    )
    group = select(group_services.c.number).where(
        group_services.c.tenant == tenant,
        group_services.c.number == spec.destination,
        group_services.c.kind == GroupKind.HUNT_GROUP.value,
    )
    if connection.execute(user.union(group)).first() is None:
        raise Invalid(
            "destination", f"no user, hunt group or call center {spec.destination} in {tenant!r}"
        )
    return ButtonSpec(label, spec.destination, origins, spec.international, spec.enabled)


def _row(connection: Connection, tenant: str | None, button: str) -> Any:
    query = select(belmenu_buttons).where(belmenu_buttons.c.id == button)
    if tenant is not None:
        query = query.where(belmenu_buttons.c.tenant == tenant)
    row = connection.execute(query).one_or_none()
    if row is None:
        # The same answer whether the button is another tenant's or none at all.
        raise NotFound("button", f"no Bel-me-nu button {button}")
    return row


def _audit(spec: ButtonSpec | ButtonView) -> dict[str, Any]:
    values = asdict(spec)
    values.pop("id", None)
    values.pop("tenant", None)
    values["origins"] = list(values["origins"])
    return values


class BelmenuButtons:
    """Beside `ProvisioningService`, in its transactions (audit log)."""

    def __init__(self, provisioning: ProvisioningService) -> None:
        self._tx = provisioning.transactions

    def all(self, tenant: str) -> list[ButtonView]:
        with self._tx.engine.connect() as connection:
            rows = connection.execute(
                select(belmenu_buttons)
                .where(belmenu_buttons.c.tenant == tenant)
                .order_by(belmenu_buttons.c.label, belmenu_buttons.c.id)
            )
            return [_view(r) for r in rows]

    def get(self, tenant: str | None, button: str) -> ButtonView:
        """`tenant` None: the public endpoint's look-up, by the id alone."""
        with self._tx.engine.connect() as connection:
            return _view(_row(connection, tenant, button))

    def create(self, actor: str, tenant: str, spec: ButtonSpec) -> ButtonView:
        with self._tx.change(actor, tenant) as unit:
            checked = _checked(unit.connection, tenant, spec)
            button = secrets.token_urlsafe(ID_BYTES)
            unit.connection.execute(
                insert(belmenu_buttons).values(id=button, tenant=tenant, **_audit(checked))
            )
            unit.record(ENTITY, button, "create", None, _audit(checked))
            return _view(_row(unit.connection, tenant, button))

    def replace(self, actor: str, tenant: str, button: str, spec: ButtonSpec) -> ButtonView:
        with self._tx.change(actor, tenant) as unit:
            old = _view(_row(unit.connection, tenant, button))
            checked = _checked(unit.connection, tenant, spec)
            unit.connection.execute(
                sql_update(belmenu_buttons)
                .where(belmenu_buttons.c.id == button)
                .values(**_audit(checked))
            )
            unit.record(ENTITY, button, "update", _audit(old), _audit(checked))
            return _view(_row(unit.connection, tenant, button))

    def delete(self, actor: str, tenant: str, button: str) -> None:
        with self._tx.change(actor, tenant) as unit:
            old = _view(_row(unit.connection, tenant, button))
            unit.connection.execute(delete(belmenu_buttons).where(belmenu_buttons.c.id == button))
            unit.record(ENTITY, button, "delete", _audit(old), None)

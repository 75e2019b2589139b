"""The demo CRM: a few Dutch (and one Belgian) customers in SQL, read by the generic connector.

Phone numbers are stored the way people type them, on purpose: the demo shows that lookups
normalise both sides. The contract's fixed point:
`+31201234567` = "Jansen Installatietechniek B.V.".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_connectors.config import (
    FieldMapping,
    GenericRestConfig,
    GenericSqlConfig,
    TenantCrmConfig,
)
from crm_connectors.phone import to_e164
from crm_connectors.secrets import Secret

DEMO_TENANT = "demo"
DEMO_CONNECTOR = "demo-crm"
#: Where the demo's "customer card" links point; the CTI server may serve a page there.
DEMO_RECORD_URL = "http://127.0.0.1:8000/demo-crm/contacts/{id}"

DEMO_CONTACTS: tuple[dict[str, str | None], ...] = (
    {
        "id": "1001",
        "name": "Jansen Installatietechniek B.V.",
        "company": "Jansen Installatietechniek B.V.",
        "phone": "020-1234567",
        "mobile": None,
    },
    {
        "id": "1002",
        "name": "Bakkerij De Vries",
        "company": "Bakkerij De Vries V.O.F.",
        "phone": "+31 (0)10 4142000",
        "mobile": "06-12345678",
    },
    {
        "id": "1003",
        "name": "Van den Berg Logistiek B.V.",
        "company": "Van den Berg Logistiek B.V.",
        "phone": "0031 30 234 5678",
        "mobile": None,
    },
    {
        "id": "1004",
        "name": "Huisartsenpraktijk Bos",
        "company": "Huisartsenpraktijk Bos",
        "phone": "(070) 345 67 89",
        "mobile": None,
    },
    {
        "id": "1005",
        "name": "Brouwerij Peeters BV",
        "company": "Brouwerij Peeters BV",
        "phone": "+32 3 123 45 67",
        "mobile": None,
    },
)

DEMO_TABLE = "demo_crm_contacts"

DEMO_MAPPING = FieldMapping(
    id="id",
    name="name",
    company="company",
    phones=("phone", "mobile"),
    url_template=DEMO_RECORD_URL,
    kind="Organisation",
)


def create_demo_database(url: str) -> None:
    """Create (or reset) the demo CRM's table at `url` and fill it."""
    meta = sa.MetaData()
    table = sa.Table(
        DEMO_TABLE,
        meta,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("company", sa.String(255)),
        sa.Column("phone", sa.String(64)),
        sa.Column("mobile", sa.String(64)),
        # What a real ODBC source would lack; here it lets the live lookup use an index.
        sa.Column("phone_e164", sa.String(32), index=True),
        sa.Column("mobile_e164", sa.String(32), index=True),
    )
    engine = sa.create_engine(url)
    try:
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.delete(table))
            conn.execute(
                sa.insert(table),
                [
                    dict(c, phone_e164=to_e164(c["phone"]), mobile_e164=to_e164(c["mobile"]))
                    for c in DEMO_CONTACTS
                ],
            )
    finally:
        engine.dispose()


def demo_connector_config(url: str) -> GenericSqlConfig:
    """The generic SQL connector pointed at the demo CRM."""
    columns = "id, name, company, phone, mobile"
    return GenericSqlConfig(
        name=DEMO_CONNECTOR,
        url=Secret(url),
        mapping=DEMO_MAPPING,
        # Constant names only (nosec: no value is formatted into the SQL).
        list_query=f"SELECT {columns} FROM {DEMO_TABLE}",  # nosec B608
        lookup_query=f"SELECT {columns} FROM {DEMO_TABLE} "  # nosec B608
        " WHERE phone_e164 = :number OR mobile_e164 = :number",
        live_lookup=True,
    )


def demo_rest_connector_config(base_url: str, api_key: str | None = None) -> GenericRestConfig:
    """The generic REST connector pointed at `demo_rest_app` served at `base_url`."""
    return GenericRestConfig(
        name="demo-rest",
        lookup_url=f"{base_url}/api/contacts?phone={{number}}",
        list_url=f"{base_url}/api/contacts",
        next_path="next",
        records_path="data",
        mapping=DEMO_MAPPING,
        auth_value=Secret(f"Bearer {api_key}") if api_key is not None else None,
    )


def demo_tenant_config(url: str, tenant: str = DEMO_TENANT) -> TenantCrmConfig:
    return TenantCrmConfig(tenant=tenant, connectors=(demo_connector_config(url),))


def demo_rest_app(api_key: str | None = None) -> Starlette:
    """The same contacts as a tiny REST/JSON CRM, for the generic REST connector.

    `GET /api/contacts?phone=<E.164>` finds, `GET /api/contacts` lists (`{"data": [...]}`).
    With `api_key`, requests need `Authorization: Bearer <api_key>`.
    """

    async def contacts(request: Request) -> JSONResponse:
        if api_key is not None and request.headers.get("Authorization") != f"Bearer {api_key}":
            return JSONResponse({"error": "unauthorized"}, 401)
        wanted = to_e164(request.query_params.get("phone"))
        rows: list[dict[str, Any]] = [
            dict(c)
            for c in DEMO_CONTACTS
            if wanted is None or wanted in (to_e164(c["phone"]), to_e164(c["mobile"]))
        ]
        return JSONResponse({"data": rows, "next": None})

    return Starlette(routes=[Route("/api/contacts", contacts)])

"""Any SQL source through SQLAlchemy (ODBC/Access-style CRMs, the demo CRM).

SQLAlchemy's engine is synchronous here (drivers for such sources rarely have async variants),
so every query runs in a worker thread to keep the event loop free.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from crm_connectors.config import GenericSqlConfig
from crm_connectors.connector import ConfiguredConnector
from crm_connectors.errors import CrmBadResponseError, CrmUnavailableError
from crm_connectors.mapping import map_row, template_url
from crm_connectors.phone import national_digits
from crm_connectors.records import CallLog, CrmRecord


class GenericSqlConnector(ConfiguredConnector[GenericSqlConfig]):
    def __init__(self, config: GenericSqlConfig, engine: sa.Engine | None = None) -> None:
        self._config = config
        self._engine = engine
        self._owns_engine = engine is None

    def __repr__(self) -> str:
        return f"GenericSqlConnector(name={self.name!r})"

    @property
    def live_lookup(self) -> bool:
        return self._config.live_lookup and self._config.lookup_query is not None

    def _get_engine(self) -> sa.Engine:
        if self._engine is None:
            # hide_parameters: bound phone numbers stay out of exception texts and logs.
            self._engine = sa.create_engine(
                self._config.url.reveal(), hide_parameters=True, pool_pre_ping=True
            )
        return self._engine

    def _query(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            with self._get_engine().connect() as conn:
                result = conn.execute(sa.text(sql), dict(params))
                return [dict(row) for row in result.mappings()]
        except sa.exc.ArgumentError as exc:
            raise CrmBadResponseError(f"SQL source {self.name}: {type(exc).__name__}") from exc
        except SQLAlchemyError as exc:
            # Message without the URL: it may carry a password.
            raise CrmUnavailableError(f"SQL source {self.name}: {type(exc).__name__}") from exc

    async def lookup(self, e164: str) -> list[CrmRecord]:
        if self._config.lookup_query is None:
            return []
        params = {"number": e164, "national": national_digits(e164), "digits": e164[1:]}
        rows = await asyncio.to_thread(self._query, self._config.lookup_query, params)
        records = (map_row(row, self._config.mapping, self.name) for row in rows)
        return [r for r in records if r is not None and e164 in r.phones]

    async def iter_records(self, since: datetime | None = None) -> AsyncIterator[CrmRecord]:
        if self._config.list_query is None:
            return
        rows = await asyncio.to_thread(self._query, self._config.list_query, {})
        for row in rows:
            record = map_row(row, self._config.mapping, self.name)
            if record is not None:
                yield record

    async def record_url(self, record_id: str) -> str | None:
        template = self._config.mapping.url_template
        return template_url(template, record_id) if template else None

    async def log_call(self, call: CallLog, record: CrmRecord | None) -> str | None:
        # A generic SQL source is read-only to us: writing into a customer's CRM tables
        # without a vendor API would bypass its business rules.
        return None

    async def aclose(self) -> None:
        if self._owns_engine and self._engine is not None:
            await asyncio.to_thread(self._engine.dispose)
            self._engine = None

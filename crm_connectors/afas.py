"""AFAS Profit: a customer-defined GetConnector synced into the index; KnSubject for call logs."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from crm_connectors.config import AfasConfig
from crm_connectors.connector import ConfiguredConnector
from crm_connectors.errors import CrmBadResponseError, CrmConfigError
from crm_connectors.http import DEFAULT_RETRY, RetryPolicy, send_json
from crm_connectors.mapping import get_path, map_row, template_url
from crm_connectors.phone import national_digits
from crm_connectors.records import CallLog, CrmRecord

log = logging.getLogger(__name__)

#: AFAS rejects longer query strings (crm.md).
MAX_QUERY_LENGTH = 2049
OP_EQUALS = 1
OP_AT_LEAST = 2


def afas_authorization(token: str) -> str:
    """`AfasToken <base64 of the XML-wrapped token>`, as the Profit REST services expect."""
    xml = f"<token><version>1</version><data>{token}</data></token>"
    return "AfasToken " + base64.b64encode(xml.encode()).decode()


class AfasConnector(ConfiguredConnector[AfasConfig]):
    def __init__(
        self, config: AfasConfig, client: httpx.AsyncClient, *, retry: RetryPolicy = DEFAULT_RETRY
    ) -> None:
        self._config = config
        self._client = client
        self._retry = retry

    def __repr__(self) -> str:
        return f"AfasConnector(name={self.name!r}, connector={self._config.get_connector!r})"

    def _url(self, connector: str) -> str:
        return f"{self._config.base_url.rstrip('/')}/ProfitRestServices/connectors/{connector}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": afas_authorization(self._config.token.reveal())}

    async def _rows(self, filters: list[tuple[str, str, int]] | None) -> AsyncIterator[Any]:
        """All rows of the GetConnector, page by page; `filters` are OR-ed (`;`)."""
        skip, take = 0, self._config.page_size
        while True:
            params: dict[str, str] = {
                "skip": str(skip),
                "take": str(take),
                "orderbyfieldids": self._config.mapping.id,
            }
            if filters:
                params["filterfieldids"] = ";".join(f for f, _, _ in filters)
                params["filtervalues"] = ";".join(v for _, v, _ in filters)
                params["operatortypes"] = ";".join(str(op) for _, _, op in filters)
            if len(urlencode(params)) > MAX_QUERY_LENGTH:
                raise CrmConfigError("AFAS query string would exceed 2,049 characters")
            body = await send_json(
                self._client,
                "GET",
                self._url(self._config.get_connector),
                headers=self._headers(),
                params=params,
                retry=self._retry,
            )
            rows = body.get("rows") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise CrmBadResponseError("AFAS answer has no rows list")
            for row in rows:
                yield row
            if len(rows) < take:
                return
            skip += take

    def _record(self, row: Any) -> CrmRecord | None:
        return map_row(row, self._config.mapping, self.name) if isinstance(row, dict) else None

    async def iter_records(self, since: datetime | None = None) -> AsyncIterator[CrmRecord]:
        filters = None
        if since is not None and self._config.modified_field:
            stamp = since.strftime("%Y-%m-%dT%H:%M:%S")
            filters = [(self._config.modified_field, stamp, OP_AT_LEAST)]
        async for row in self._rows(filters):
            record = self._record(row)
            if record is not None:
                yield record

    async def lookup(self, e164: str) -> list[CrmRecord]:
        """Asks AFAS directly: for tools and checks only; screen-pops read the index."""
        forms = (e164, national_digits(e164))
        filters = [(f, form, OP_EQUALS) for f in self._config.mapping.phones for form in forms]
        found: list[CrmRecord] = []
        async for row in self._rows(filters):
            record = self._record(row)
            if record is not None and e164 in record.phones:
                found.append(record)
        return found

    async def record_url(self, record_id: str) -> str | None:
        template = self._config.mapping.url_template
        return template_url(template, record_id) if template else None

    async def log_call(self, call: CallLog, record: CrmRecord | None) -> str | None:
        if not self._config.subject_connector:
            return None
        element: dict[str, Any] = {
            "Fields": {
                "StId": self._config.subject_type,
                "Ds": call.subject[:255],
                "Da": call.started_at.date().isoformat(),
                "SbTx": call.description,
            }
        }
        if record is not None:
            link = {"Element": {"Fields": {"ToBC": True, "BcId": record.id}}}
            element["Objects"] = [{"KnSubjectLink": link}]
        body = await send_json(
            self._client,
            "POST",
            self._url(self._config.subject_connector),
            headers=self._headers(),
            json={"KnSubject": {"Element": element}},
            retry=self._retry,
        )
        subject_id = get_path(body, "results.KnSubject.SbId")
        return str(subject_id) if subject_id is not None else None

    async def aclose(self) -> None:
        return None

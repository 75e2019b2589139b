"""Any REST/JSON CRM, configured with a URL template, an auth header and a field mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from crm_connectors.config import GenericRestConfig
from crm_connectors.connector import ConfiguredConnector
from crm_connectors.errors import CrmBadResponseError, CrmConfigError
from crm_connectors.http import DEFAULT_RETRY, NO_RETRY, RetryPolicy, send_json
from crm_connectors.mapping import get_path, map_row, template_url
from crm_connectors.phone import national_digits
from crm_connectors.records import CallLog, CrmRecord


class GenericRestConnector(ConfiguredConnector[GenericRestConfig]):
    def __init__(
        self,
        config: GenericRestConfig,
        client: httpx.AsyncClient,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._config = config
        self._client = client
        self._retry = retry

    def __repr__(self) -> str:
        return f"GenericRestConnector(name={self.name!r})"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._config.auth_value is not None:
            headers[self._config.auth_header] = self._config.auth_value.reveal()
        return headers

    def _records(self, body: Any, path: str) -> list[CrmRecord]:
        rows = get_path(body, path)
        if not isinstance(rows, list):
            raise CrmBadResponseError(f"no list at {path or 'the top level'} of the answer")
        records = (map_row(r, self._config.mapping, self.name) for r in rows if isinstance(r, dict))
        return [r for r in records if r is not None]

    async def lookup(self, e164: str) -> list[CrmRecord]:
        try:
            url = self._config.lookup_url.format(
                number=quote(e164, safe=""), national=national_digits(e164), digits=e164[1:]
            )
        except (KeyError, IndexError) as exc:
            raise CrmConfigError(f"lookup_url has an unknown placeholder: {exc}") from exc
        body = await send_json(
            self._client,
            "GET",
            url,
            headers=self._headers(),
            retry=NO_RETRY,
            timeout=self._config.live_timeout_s,
        )
        return [r for r in self._records(body, self._config.records_path) if e164 in r.phones]

    async def iter_records(self, since: datetime | None = None) -> AsyncIterator[CrmRecord]:
        # No generic way to ask for changes: a delta sync re-reads the listing and upserts.
        url = self._config.list_url
        while url:
            body = await send_json(
                self._client, "GET", url, headers=self._headers(), retry=self._retry
            )
            for record in self._records(body, self._config.records_path):
                yield record
            nxt = get_path(body, self._config.next_path) if self._config.next_path else None
            url = str(httpx.URL(url).join(nxt)) if isinstance(nxt, str) and nxt else None

    async def record_url(self, record_id: str) -> str | None:
        template = self._config.mapping.url_template
        return template_url(template, record_id) if template else None

    async def log_call(self, call: CallLog, record: CrmRecord | None) -> str | None:
        if not self._config.log_url:
            return None
        url = self._config.log_url.format(id=quote(record.id if record else "", safe=""))
        payload = call.to_dict() | {"record_id": record.id if record else None}
        body = await send_json(
            self._client, "POST", url, headers=self._headers(), json=payload, retry=self._retry
        )
        created = get_path(body, "id")
        return str(created) if created is not None else None

    async def aclose(self) -> None:
        return None

"""Exact Online: OData v2 accounts and contacts, synced into the index (never asked per call).

Limits (crm.md): 60 calls/min and 5,000/day per company, tokens live ~10 min and may be refreshed
once per 570 s. The minutely rate-limit headers pause this connector until the reset time; a 429
honours `Retry-After`; waits longer than the retry policy allows become `CrmRateLimitedError`, which
the rq job retries later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from crm_connectors.config import ExactOnlineConfig
from crm_connectors.connector import ConfiguredConnector
from crm_connectors.errors import CrmAuthError, CrmBadResponseError, CrmRateLimitedError
from crm_connectors.http import DEFAULT_RETRY, RetryPolicy, link_on_origin, send_json
from crm_connectors.mapping import normalised_phones
from crm_connectors.oauth import OAuth2Token, TokenState
from crm_connectors.phone import national_digits
from crm_connectors.records import CallLog, CrmRecord
from crm_connectors.secrets import Secret

log = logging.getLogger(__name__)

_ACCOUNT_FIELDS = "ID,Code,Name,Phone,Modified"
_CONTACT_FIELDS = "ID,FullName,Phone,Mobile,BusinessPhone,Account,AccountName,Modified"


class ExactOnlineConnector(ConfiguredConnector[ExactOnlineConfig]):
    def __init__(
        self,
        config: ExactOnlineConfig,
        client: httpx.AsyncClient,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        on_refresh_token: Callable[[Secret], None] | None = None,
        token_state: TokenState | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._client = client
        self._retry = retry
        self._clock = clock
        self._paused_until = 0.0
        self._token = OAuth2Token(
            token_url=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            refresh_token=config.refresh_token,
            min_refresh_interval_s=config.min_refresh_interval_s,
            on_refresh_token=on_refresh_token,
            state=token_state,
        )

    def __repr__(self) -> str:
        return f"ExactOnlineConnector(name={self.name!r}, division={self._config.division})"

    @property
    def _api(self) -> str:
        return f"{self._config.base_url.rstrip('/')}/api/v1/{self._config.division}"

    async def _note_rate_limits(self, response: httpx.Response) -> None:
        """Pause before the next call once the minutely budget reads zero."""
        remaining = response.headers.get("X-RateLimit-Minutely-Remaining")
        reset_ms = response.headers.get("X-RateLimit-Minutely-Reset")
        if remaining is None or reset_ms is None:
            return
        try:
            if int(remaining) <= 0:
                self._paused_until = max(self._paused_until, int(reset_ms) / 1000.0)
        except ValueError:
            log.warning("unreadable Exact rate-limit headers on %s", self.name)

    async def _wait_for_budget(self) -> None:
        wait = self._paused_until - self._clock()
        if wait <= 0:
            return
        if wait > self._retry.max_wait_s:
            raise CrmRateLimitedError("Exact minutely rate limit reached", wait)
        await asyncio.sleep(wait)

    async def _call(
        self, method: str, url: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> Any:
        token = await self._token.access_token(self._client)
        for attempt in (1, 2):
            await self._wait_for_budget()
            try:
                return await send_json(
                    self._client,
                    method,
                    url,
                    # Without Accept, Exact answers in XML.
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    params=params,
                    json=json,
                    retry=self._retry,
                    on_response=self._note_rate_limits,
                )
            except CrmAuthError:
                if attempt == 2:
                    raise
                token = await self._token.invalidate(self._client, token)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pages(
        self, url: str, params: dict[str, str] | None
    ) -> AsyncIterator[dict[str, Any]]:
        """Rows of an OData v2 collection, following `d.__next` (about 60 rows a page)."""
        next_url: str | None = url
        next_params = params
        while next_url is not None:
            body = await self._call("GET", next_url, params=next_params)
            d = body.get("d") if isinstance(body, dict) else None
            results = d.get("results") if isinstance(d, dict) else None
            if not isinstance(results, list):
                raise CrmBadResponseError("OData answer has no d.results list")
            for row in results:
                if isinstance(row, dict):
                    yield row
            nxt = d.get("__next") if isinstance(d, dict) else None
            # __next already carries the query (with $skiptoken); do not add ours again.
            if isinstance(nxt, str) and nxt:
                next_url, next_params = link_on_origin(self._api, nxt), None
            else:
                next_url, next_params = None, None

    def _account(self, row: dict[str, Any]) -> CrmRecord | None:
        record_id, name = row.get("ID"), row.get("Name")
        if not isinstance(record_id, str) or not isinstance(name, str):
            return None
        return CrmRecord(
            id=record_id,
            name=name,
            source=self.name,
            company=name,
            phones=normalised_phones([row.get("Phone")]),
            url=self._card_url("CRMAccountCard", "AccountID", record_id),
            kind="Account",
        )

    def _contact(self, row: dict[str, Any]) -> CrmRecord | None:
        record_id, name = row.get("ID"), row.get("FullName")
        if not isinstance(record_id, str) or not isinstance(name, str):
            return None
        company = row.get("AccountName")
        return CrmRecord(
            id=record_id,
            name=name,
            source=self.name,
            company=company if isinstance(company, str) else None,
            phones=normalised_phones(
                [row.get("Phone"), row.get("Mobile"), row.get("BusinessPhone")]
            ),
            url=self._card_url("CRMContactCard", "ContactID", record_id),
            kind="Contact",
        )

    def _card_url(self, page: str, key: str, record_id: str) -> str:
        base = self._config.base_url.rstrip("/")
        return f"{base}/docs/{page}.aspx?_Division_={self._config.division}&{key}={record_id}"

    async def iter_records(self, since: datetime | None = None) -> AsyncIterator[CrmRecord]:
        filt: dict[str, str] = {}
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            filt["$filter"] = f"Modified ge datetime'{stamp}'"
        async for row in self._pages(
            f"{self._api}/crm/Accounts", {"$select": _ACCOUNT_FIELDS} | filt
        ):
            record = self._account(row)
            if record is not None:
                yield record
        async for row in self._pages(
            f"{self._api}/crm/Contacts", {"$select": _CONTACT_FIELDS} | filt
        ):
            record = self._contact(row)
            if record is not None:
                yield record

    async def lookup(self, e164: str) -> list[CrmRecord]:
        """Asks Exact directly: for tools and checks only; screen-pops read the index."""
        forms = " or ".join(f"Phone eq '{form}'" for form in (e164, national_digits(e164)))
        found: list[CrmRecord] = []
        async for row in self._pages(
            f"{self._api}/crm/Accounts", {"$select": _ACCOUNT_FIELDS, "$filter": forms}
        ):
            record = self._account(row)
            if record is not None and e164 in record.phones:
                found.append(record)
        return found

    async def record_url(self, record_id: str) -> str | None:
        return self._card_url("CRMAccountCard", "AccountID", record_id)

    async def log_call(self, call: CallLog, record: CrmRecord | None) -> str | None:
        note: dict[str, Any] = {
            "Subject": call.subject,
            "Notes": call.description,
            "Date": call.started_at.isoformat(),
        }
        if record is not None:
            note["Contact" if record.kind == "Contact" else "Account"] = record.id
        body = await self._call("POST", f"{self._api}/activities/CommunicationNotes", json=note)
        d = body.get("d") if isinstance(body, dict) else None
        note_id = d.get("ID") if isinstance(d, dict) else None
        if not isinstance(note_id, str):
            raise CrmBadResponseError("CommunicationNotes create answered without d.ID")
        return note_id

    async def aclose(self) -> None:
        return None

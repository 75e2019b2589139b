"""Salesforce: SOSL phone search and SOQL listing over REST, Task for call logs, OAuth2 bearer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from crm_connectors.config import SalesforceConfig
from crm_connectors.connector import ConfiguredConnector
from crm_connectors.errors import CrmAuthError, CrmBadResponseError
from crm_connectors.http import DEFAULT_RETRY, NO_RETRY, RetryPolicy, link_on_origin, send_json
from crm_connectors.mapping import get_path, normalised_phones
from crm_connectors.oauth import OAuth2Token, TokenState
from crm_connectors.phone import national_digits
from crm_connectors.records import CallDirection, CallLog, CrmRecord
from crm_connectors.secrets import Secret

log = logging.getLogger(__name__)

#: Phone fields per object; the first listed Account-name path gives the company.
_OBJECTS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "Contact": (("Phone", "MobilePhone"), "Account.Name"),
    "Account": (("Phone",), "Name"),
    "Lead": (("Phone", "MobilePhone"), "Company"),
}
_SOSL_RETURNING = (
    "Contact(Id,Name,Phone,MobilePhone,AccountId,Account.Name),"
    "Account(Id,Name,Phone),"
    "Lead(Id,Name,Phone,MobilePhone,Company)"
)
#: Characters SOSL treats as operators inside FIND {...}; they must be backslash-escaped.
_SOSL_RESERVED = set("?&|!{}[]()^~*:\\\"'+-")


def sosl_escape(term: str) -> str:
    return "".join(f"\\{ch}" if ch in _SOSL_RESERVED else ch for ch in term)


class SalesforceConnector(ConfiguredConnector[SalesforceConfig]):
    def __init__(
        self,
        config: SalesforceConfig,
        client: httpx.AsyncClient,
        *,
        on_refresh_token: Callable[[Secret], None] | None = None,
        token_state: TokenState | None = None,
    ) -> None:
        self._config = config
        self._client = client
        self._token = OAuth2Token(
            token_url=config.token_url,
            client_id=config.client_id,
            client_secret=config.client_secret,
            refresh_token=config.refresh_token,
            on_refresh_token=on_refresh_token,
            state=token_state,
        )

    def __repr__(self) -> str:
        return f"SalesforceConnector(name={self.name!r}, instance={self._config.instance_url!r})"

    @property
    def _instance(self) -> str:
        return (self._token.instance_url or self._config.instance_url).rstrip("/")

    @property
    def _data_path(self) -> str:
        return f"/services/data/v{self._config.api_version}"

    async def _call(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float | None = None,
    ) -> Any:
        """One API call with the bearer token; a 401 gets one token refresh and one retry."""
        token = await self._token.access_token(self._client)
        for attempt in (1, 2):
            url = path_or_url if path_or_url.startswith("http") else self._instance + path_or_url
            try:
                return await send_json(
                    self._client,
                    method,
                    url,
                    headers={"Authorization": f"Bearer {token}"},
                    params=params,
                    json=json,
                    retry=retry,
                    timeout=timeout,
                )
            except CrmAuthError:
                if attempt == 2:
                    raise
                token = await self._token.invalidate(self._client, token)
        raise AssertionError("unreachable")  # pragma: no cover

    async def lookup(self, e164: str) -> list[CrmRecord]:
        # Both forms: orgs store numbers as typed by users, and SOSL matches on tokens.
        terms = f"{sosl_escape(e164)} OR {national_digits(e164)}"
        query = f"FIND {{{terms}}} IN PHONE FIELDS RETURNING {_SOSL_RETURNING}"
        body = await self._call(
            "GET",
            f"{self._data_path}/search/",
            params={"q": query},
            retry=NO_RETRY,
            timeout=self._config.live_timeout_s,
        )
        rows = body.get("searchRecords") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise CrmBadResponseError("SOSL answer has no searchRecords list")
        records = [r for r in (self._to_record(row) for row in rows) if r is not None]
        # SOSL also matches partial tokens; keep records whose phone really is this number.
        return [r for r in records if e164 in r.phones]

    def _to_record(self, row: Any) -> CrmRecord | None:
        if not isinstance(row, dict):
            return None
        kind = get_path(row, "attributes.type")
        record_id = row.get("Id")
        name = row.get("Name")
        if kind not in _OBJECTS or not isinstance(record_id, str) or not isinstance(name, str):
            return None
        phone_fields, company_path = _OBJECTS[kind]
        company = get_path(row, company_path) if company_path else None
        return CrmRecord(
            id=record_id,
            name=name,
            source=self.name,
            company=company if isinstance(company, str) else None,
            phones=normalised_phones(row.get(f) for f in phone_fields),
            url=f"{self._instance}/lightning/r/{kind}/{record_id}/view",
            kind=kind,
        )

    async def record_url(self, record_id: str) -> str | None:
        # The classic `/{id}` path redirects to the right object page in Lightning too.
        return f"{self._instance}/{record_id}"

    async def iter_records(self, since: datetime | None = None) -> AsyncIterator[CrmRecord]:
        for kind, (phone_fields, company_path) in _OBJECTS.items():
            fields = ["Id", "Name", *phone_fields]
            if company_path and company_path != "Name":
                fields.append(company_path)
            where = " OR ".join(f"{f} != null" for f in phone_fields)
            # Field and object names are this module's constants (nosec: no outside value).
            soql = f"SELECT {','.join(fields)} FROM {kind} WHERE ({where})"  # nosec B608
            if since is not None:
                stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                soql += f" AND LastModifiedDate >= {stamp}"
            body = await self._call("GET", f"{self._data_path}/query/", params={"q": soql})
            while True:
                if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                    raise CrmBadResponseError("SOQL answer has no records list")
                for row in body["records"]:
                    if isinstance(row, dict):
                        row.setdefault("attributes", {"type": kind})
                    record = self._to_record(row)
                    if record is not None:
                        yield record
                next_url = body.get("nextRecordsUrl")
                if body.get("done", True) or not isinstance(next_url, str):
                    break
                body = await self._call("GET", link_on_origin(self._instance, next_url))

    async def log_call(self, call: CallLog, record: CrmRecord | None) -> str | None:
        task: dict[str, Any] = {
            "Subject": call.subject,
            "Description": call.description,
            "Status": "Completed",
            "Priority": "Normal",
            "TaskSubtype": "Call",
            "Type": "Call",
            "CallType": "Inbound" if call.direction is CallDirection.INBOUND else "Outbound",
            "CallDurationInSeconds": call.duration_s,
            "CallDisposition": call.disposition[:255],
            "CallObject": call.call_id,
            "ActivityDate": call.started_at.date().isoformat(),
        }
        if record is not None:
            # Who = person (Contact, Lead); What = thing (Account).
            task["WhatId" if record.kind == "Account" else "WhoId"] = record.id
        body = await self._call("POST", f"{self._data_path}/sobjects/Task/", json=task)
        task_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(task_id, str):
            raise CrmBadResponseError("Task create answered without id")
        return task_id

    async def aclose(self) -> None:
        return None

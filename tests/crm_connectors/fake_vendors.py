"""Fake Salesforce, Exact Online and AFAS servers that follow the documented shapes (crm.md).

Each fake keeps its state in a plain object the test can read and steer (fail the next N
requests, expire tokens, answer slowly or with garbage).
"""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crm_connectors.phone import to_e164


@dataclass
class Behaviour:
    """Knobs shared by the fakes."""

    fail_next: int = 0  # answer 503 to the next N API requests
    throttle_next: int = 0  # answer 429 (Retry-After) to the next N API requests
    retry_after: str = "1"
    delay_s: float = 0.0
    garbage: bool = False
    requests: list[str] = field(default_factory=list)


async def _misbehave(b: Behaviour, request: Request) -> Response | None:
    b.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
    if b.delay_s:
        await asyncio.sleep(b.delay_s)
    if b.throttle_next > 0:
        b.throttle_next -= 1
        return JSONResponse({"error": "Too many requests"}, 429, {"Retry-After": b.retry_after})
    if b.fail_next > 0:
        b.fail_next -= 1
        return PlainTextResponse("Service Unavailable", 503)
    if b.garbage:
        return PlainTextResponse("<html>maintenance</html>", 200, media_type="text/html")
    return None


# --- Salesforce ---------------------------------------------------------------------------


@dataclass
class FakeSalesforce:
    client_id: str = "sf-client"
    client_secret: str = "sf-secret"
    version: str = "61.0"
    records: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    page_size: int = 2
    behaviour: Behaviour = field(default_factory=Behaviour)
    base_url: str = ""
    next_link_origin: str = ""
    """Put before `nextRecordsUrl` (relative, as documented, when empty): a spoofed answer."""

    def add(self, kind: str, record_id: str, name: str, **fields: Any) -> None:
        url = f"/services/data/v{self.version}/sobjects/{kind}/{record_id}"
        self.records.append(
            {"attributes": {"type": kind, "url": url}, "Id": record_id, "Name": name, **fields}
        )

    def app(self) -> Starlette:
        data = f"/services/data/v{self.version}"
        return Starlette(
            routes=[
                Route("/services/oauth2/token", self._token, methods=["POST"]),
                Route(f"{data}/search/", self._search),
                Route(f"{data}/query/", self._query),
                Route(f"{data}/query/{{cursor}}", self._query_more),
                Route(f"{data}/sobjects/Task/", self._task, methods=["POST"]),
            ]
        )

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, 400
            )
        self.tokens_issued += 1
        token = f"00Dsf!{uuid.uuid4().hex}"
        self.valid_tokens.add(token)
        return JSONResponse(
            {
                "access_token": token,
                "instance_url": self.base_url,
                "id": f"{self.base_url}/id/00D/005",
                "token_type": "Bearer",
                "issued_at": "1764064800000",
                "signature": "c2lnbmF0dXJl",
            }
        )

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.valid_tokens

    def _unauthorised(self) -> Response:
        body = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        return JSONResponse(body, 401)

    async def _search(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        q = request.query_params.get("q", "")
        match = re.match(r"FIND \{(.*)\} IN PHONE FIELDS RETURNING (.*)", q)
        if not match:
            return JSONResponse([{"errorCode": "MALFORMED_SEARCH", "message": q}], 400)
        terms = match.group(1).replace("\\", "").split(" OR ")
        wanted = {to_e164(t) for t in terms} - {None}
        hits = [
            r
            for r in self.records
            if any(to_e164(str(r.get(f) or "")) in wanted for f in ("Phone", "MobilePhone"))
        ]
        return JSONResponse({"searchRecords": hits})

    def _soql_page(self, rows: list[dict[str, Any]], start: int) -> dict[str, Any]:
        page = rows[start : start + self.page_size]
        done = start + self.page_size >= len(rows)
        body: dict[str, Any] = {"totalSize": len(rows), "done": done, "records": page}
        if not done:
            body["nextRecordsUrl"] = (
                f"{self.next_link_origin}/services/data/v{self.version}/query/01gC-"
                f"{start + self.page_size}"
            )
        return body

    def _soql_rows(self, q: str) -> list[dict[str, Any]]:
        kind = re.search(r"FROM (\w+)", q)
        return [r for r in self.records if kind and r["attributes"]["type"] == kind.group(1)]

    async def _query(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        self._last_soql = request.query_params.get("q", "")
        return JSONResponse(self._soql_page(self._soql_rows(self._last_soql), 0))

    async def _query_more(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        start = int(request.path_params["cursor"].split("-")[1])
        return JSONResponse(self._soql_page(self._soql_rows(self._last_soql), start))

    async def _task(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._unauthorised()
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        task = await request.json()
        task_id = f"00T{len(self.tasks):012d}"
        self.tasks.append(task | {"Id": task_id})
        return JSONResponse({"id": task_id, "success": True, "errors": []}, 201)


# --- Exact Online -------------------------------------------------------------------------


@dataclass
class FakeExact:
    division: int = 123456
    client_id: str = "exact-client"
    client_secret: str = "exact-secret"
    refresh_token: str = "refresh-0"
    accounts: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    refreshes: int = 0
    page_size: int = 60
    minutely_remaining: int = 59
    minutely_reset_ms: int = 0
    behaviour: Behaviour = field(default_factory=Behaviour)
    base_url: str = ""
    next_link_origin: str | None = None
    """The origin of `__next` links (our own `base_url` when None): a spoofed answer."""

    def app(self) -> Starlette:
        api = f"/api/v1/{self.division}"
        return Starlette(
            routes=[
                Route("/api/oauth2/token", self._token, methods=["POST"]),
                Route(f"{api}/crm/Accounts", self._collection("accounts")),
                Route(f"{api}/crm/Contacts", self._collection("contacts")),
                Route(f"{api}/activities/CommunicationNotes", self._note, methods=["POST"]),
            ]
        )

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        ok = (
            form.get("grant_type") == "refresh_token"
            and form.get("client_id") == self.client_id
            and form.get("client_secret") == self.client_secret
            and form.get("refresh_token") == self.refresh_token
        )
        if not ok:
            return JSONResponse({"error": "invalid_grant"}, 400)
        self.refreshes += 1
        # Exact rotates the refresh token: the old one stops working.
        self.refresh_token = f"refresh-{self.refreshes}"
        token = f"exact-access-{self.refreshes}"
        self.valid_tokens = {token}
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": "600",
                "refresh_token": self.refresh_token,
            }
        )

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4000",
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": str(self.minutely_remaining),
            "X-RateLimit-Minutely-Reset": str(self.minutely_reset_ms),
        }

    def _collection(self, which: str) -> Any:
        async def handler(request: Request) -> Response:
            header = request.headers.get("Authorization", "")
            if not (header.startswith("Bearer ") and header[7:] in self.valid_tokens):
                return JSONResponse({"error": {"message": {"value": "Unauthorized"}}}, 401)
            if request.headers.get("Accept") != "application/json":
                return PlainTextResponse("<feed/>", media_type="application/atom+xml")
            if (bad := await _misbehave(self.behaviour, request)) is not None:
                return bad
            rows: list[dict[str, Any]] = getattr(self, which)
            flt = request.query_params.get("$filter", "")
            if m := re.match(r"Modified ge datetime'([^']+)'", flt):
                rows = [r for r in rows if r["Modified"] >= m.group(1)]
            elif phones := re.findall(r"Phone eq '([^']+)'", flt):
                wanted = {to_e164(p) for p in phones}
                rows = [r for r in rows if to_e164(r.get("Phone")) in wanted]
            start = int(request.query_params.get("$skiptoken", "0"))
            page = rows[start : start + self.page_size]
            d: dict[str, Any] = {"results": page}
            if start + self.page_size < len(rows):
                origin = self.base_url if self.next_link_origin is None else self.next_link_origin
                d["__next"] = (
                    f"{origin}{request.url.path}?$select="
                    f"{request.query_params.get('$select', '')}&$skiptoken={start + self.page_size}"
                )
            return JSONResponse({"d": d}, headers=self._rate_headers())

        return handler

    async def _note(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        if not (header.startswith("Bearer ") and header[7:] in self.valid_tokens):
            return JSONResponse({"error": {"message": {"value": "Unauthorized"}}}, 401)
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        note = await request.json()
        note_id = str(uuid.uuid4())
        self.notes.append(note | {"ID": note_id})
        return JSONResponse({"d": note | {"ID": note_id}}, 201)


# --- AFAS Profit --------------------------------------------------------------------------


@dataclass
class FakeAfas:
    token: str = "AFAS-APP-TOKEN-DATA"
    connector: str = "Crm_Phones"
    rows: list[dict[str, Any]] = field(default_factory=list)
    subjects: list[dict[str, Any]] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)

    def expected_header(self) -> str:
        xml = f"<token><version>1</version><data>{self.token}</data></token>"
        return "AfasToken " + base64.b64encode(xml.encode()).decode()

    def app(self) -> Starlette:
        base = "/ProfitRestServices/connectors"
        return Starlette(
            routes=[
                Route(f"{base}/KnSubject", self._subject, methods=["POST"]),
                Route(f"{base}/{{connector}}", self._get),
            ]
        )

    def _check(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") != self.expected_header():
            return JSONResponse({"externalMessage": "Geen toegang", "profitLogReference": ""}, 401)
        return None

    async def _get(self, request: Request) -> Response:
        if (bad := self._check(request)) is not None:
            return bad
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        if request.path_params["connector"] != self.connector:
            return JSONResponse({"externalMessage": "Connector bestaat niet"}, 404)
        if len(str(request.url.query)) > 2049:
            return JSONResponse({"externalMessage": "query too long"}, 400)
        qp = request.query_params
        rows = self.rows
        if qp.get("filterfieldids"):
            groups = zip(
                qp["filterfieldids"].split(";"),
                qp["filtervalues"].split(";"),
                qp["operatortypes"].split(";"),
                strict=True,
            )
            conds = list(groups)

            def keep(row: dict[str, Any]) -> bool:
                for fid, value, op in conds:  # ';' = OR
                    cell = str(row.get(fid) or "")
                    if (op == "1" and cell == value) or (op == "2" and cell >= value):
                        return True
                return False

            rows = [r for r in rows if keep(r)]
        skip, take = int(qp.get("skip", "0")), int(qp.get("take", "100"))
        return JSONResponse({"skip": skip, "take": take, "rows": rows[skip : skip + take]})

    async def _subject(self, request: Request) -> Response:
        if (bad := self._check(request)) is not None:
            return bad
        if (bad := await _misbehave(self.behaviour, request)) is not None:
            return bad
        body = await request.json()
        self.subjects.append(body)
        return JSONResponse({"results": {"KnSubject": {"SbId": str(len(self.subjects))}}}, 201)

"""A fake Microsoft identity platform + Graph, to their documented shapes: `/authorize` sends the
browser back to `redirect_uri` with `code` and `state`; `/token` redeems a code or a refresh
token (`invalid_grant` otherwise) and rotates the refresh token every time; `/v1.0/me/contacts`
answers `{"value": [...], "@odata.nextLink": <absolute URL>}` pages for a valid bearer token.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "opencc-graph-app"
CLIENT_SECRET = "graph-app-secret"


@dataclass
class FakeGraph:
    contacts: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    base_url: str = ""
    next_link_origin: str = ""
    """Put before the next link instead of `base_url`: a spoofed answer."""
    codes: dict[str, str] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)
    _serial: Any = field(default_factory=itertools.count)

    def add(self, contact_id: str, name: str, **fields: Any) -> None:
        self.contacts.append(
            {"id": contact_id, "changeKey": "1", "displayName": name, "businessPhones": [],
             "homePhones": [], "mobilePhone": None, "emailAddresses": [], **fields}
        )  # fmt: skip

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/authorize", self._authorize),
                Route("/login/token", self._token, methods=["POST"]),
                Route("/v1.0/me/contacts", self._contacts),
            ]
        )

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        assert query["client_id"] == CLIENT_ID and "Contacts.Read" in query["scope"]
        code = f"code-{next(self._serial)}"
        self.codes[code] = query["redirect_uri"]
        back = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", 302)

    def _tokens(self) -> JSONResponse:
        n = next(self._serial)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        self.issued.append(refresh)
        return JSONResponse(
            {"token_type": "Bearer", "scope": "Contacts.Read", "expires_in": 3600,
             "access_token": access, "refresh_token": refresh}
        )  # fmt: skip

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            redirect = self.codes.pop(str(form.get("code")), None)
            if redirect is None or redirect != form.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant"}, 400)
            return self._tokens()
        if grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            self.refresh_tokens.discard(str(form.get("refresh_token")))  # rotated: single use
            return self._tokens()
        return JSONResponse({"error": "invalid_grant"}, 400)

    async def _contacts(self, request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.access_tokens:
            return JSONResponse({"error": {"code": "InvalidAuthenticationToken"}}, 401)
        skip = int(request.query_params.get("$skip", "0"))
        page = self.contacts[skip : skip + self.page_size]
        body: dict[str, Any] = {"@odata.context": "$metadata#users('me')/contacts", "value": page}
        if skip + self.page_size < len(self.contacts):
            origin = self.next_link_origin or self.base_url
            query = urlencode({"$select": request.query_params.get("$select", ""),
                               "$skip": skip + self.page_size})  # fmt: skip
            body["@odata.nextLink"] = f"{origin}/v1.0/me/contacts?{query}"
        return JSONResponse(body)

"""A user's Outlook contacts through Microsoft Graph: the OAuth 2.0 authorization-code flow
(Microsoft identity platform v2.0) and `GET /me/contacts` page by page.

The product is one Entra ID (Azure AD) app registration, multi-tenant, named by the operator in
the environment (`OPENCC_GRAPH_CLIENT_ID`, `OPENCC_GRAPH_CLIENT_SECRET`); each user consents once
for `Contacts.Read` and `offline_access`. The refresh token Microsoft hands out is sealed in the
source's row and replaced whenever Microsoft rotates it (`OAuth2Token.on_refresh_token`).

Paging follows `@odata.nextLink`, only on the API's own origin (`link_on_origin`: the bearer
token goes with it). Every run lists the folder in full and compares `changeKey`s with what is
stored (the sync fetches nothing twice); Graph's delta query would also need a per-folder delta
link kept between runs, and brings little for a few hundred contacts.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from crm_connectors.errors import CrmAuthError, CrmBadResponseError
from crm_connectors.http import link_on_origin, send_json
from crm_connectors.oauth import OAuth2Token
from crm_connectors.secrets import Secret

CLIENT_ID_ENV = "OPENCC_GRAPH_CLIENT_ID"
CLIENT_SECRET_ENV = "OPENCC_GRAPH_CLIENT_SECRET"
LOGIN_ENV = "OPENCC_GRAPH_LOGIN_URL"
API_ENV = "OPENCC_GRAPH_API_URL"
LOGIN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0"
API_URL = "https://graph.microsoft.com/v1.0"
SCOPES = "offline_access Contacts.Read"
SELECT = (
    "id,changeKey,displayName,givenName,surname,companyName,businessPhones,homePhones,"
    "mobilePhone,emailAddresses,personalNotes"
)
PAGE_SIZE = 100
MAX_PAGES = 200
"""20,000 contacts: more than a book may hold (provisioning.contacts.MAX_CONTACTS)."""


@dataclass(frozen=True, slots=True)
class GraphApp:
    client_id: str
    client_secret: Secret
    login_url: str = LOGIN_URL
    api_url: str = API_URL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> GraphApp | None:
        """None when the operator registered no app: Graph sources are then refused."""
        client_id = environ.get(CLIENT_ID_ENV)
        secret = environ.get(CLIENT_SECRET_ENV)
        if not client_id or not secret:
            return None
        return cls(
            client_id,
            Secret(secret),
            environ.get(LOGIN_ENV, LOGIN_URL).rstrip("/"),
            environ.get(API_ENV, API_URL).rstrip("/"),
        )

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "response_mode": "query",
            "scope": SCOPES,
            "state": state,
            "prompt": "select_account",
        }
        return f"{self.login_url}/authorize?{urlencode(query)}"

    async def redeem(self, client: httpx.AsyncClient, code: str, redirect_uri: str) -> Secret:
        """The refresh token for an authorization code (the code is single-use)."""
        try:
            body = await send_json(
                client,
                "POST",
                f"{self.login_url}/token",
                data={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret.reveal(),
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "scope": SCOPES,
                },
            )
        except CrmBadResponseError as error:  # 400 invalid_grant: a spent or forged code
            raise CrmAuthError(f"Microsoft refused the authorization code: {error}") from None
        refresh = body.get("refresh_token") if isinstance(body, dict) else None
        if not isinstance(refresh, str) or not refresh:
            raise CrmBadResponseError("no refresh_token: was offline_access granted?")
        return Secret(refresh)

    def token(self, refresh_token: Secret, on_rotate: Any) -> OAuth2Token:
        return OAuth2Token(
            token_url=f"{self.login_url}/token",
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=refresh_token,
            scope=SCOPES,
            on_refresh_token=on_rotate,
        )


@dataclass(frozen=True, slots=True)
class GraphContact:
    id: str
    change_key: str
    name: str
    company: str
    numbers: tuple[str, ...]
    email: str
    note: str


async def list_contacts(
    client: httpx.AsyncClient, app: GraphApp, token: OAuth2Token
) -> AsyncIterator[GraphContact]:
    """Every contact of the user's default contacts folder."""
    query = urlencode({"$select": SELECT, "$top": PAGE_SIZE})
    url: str | None = f"{app.api_url}/me/contacts?{query}"
    for _ in range(MAX_PAGES):
        if url is None:
            return
        page = await _get(client, token, url)
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            raise CrmBadResponseError("GET /me/contacts: no `value` list")
        for item in page["value"]:
            contact = _contact(item)
            if contact is not None:
                yield contact
        link = page.get("@odata.nextLink")
        url = link_on_origin(app.api_url, link) if isinstance(link, str) else None
    raise CrmBadResponseError(f"GET /me/contacts: more than {MAX_PAGES} pages")


async def _get(client: httpx.AsyncClient, token: OAuth2Token, url: str) -> Any:
    access = await token.access_token(client)
    try:
        return await send_json(client, "GET", url, headers={"Authorization": f"Bearer {access}"})
    except CrmAuthError:
        # An access token revoked before its time: one fresh token, one more try.
        access = await token.invalidate(client, access)
        return await send_json(client, "GET", url, headers={"Authorization": f"Bearer {access}"})


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _contact(item: Any) -> GraphContact | None:
    if not isinstance(item, dict) or not _text(item, "id"):
        return None
    numbers = [
        n
        for key in ("businessPhones", "homePhones")
        if isinstance(item.get(key), list)
        for n in item[key]
        if isinstance(n, str) and n.strip()
    ]
    if _text(item, "mobilePhone"):
        numbers.append(_text(item, "mobilePhone"))
    addresses = item.get("emailAddresses")
    first = addresses[0] if isinstance(addresses, list) and addresses else {}
    name = _text(item, "displayName") or " ".join(
        p for p in (_text(item, "givenName"), _text(item, "surname")) if p
    )
    return GraphContact(
        id=_text(item, "id"),
        change_key=_text(item, "changeKey"),
        name=name,
        company=_text(item, "companyName"),
        numbers=tuple(numbers),
        email=_text(first, "address") if isinstance(first, dict) else "",
        note=_text(item, "personalNotes"),
    )

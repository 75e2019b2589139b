"""`/api/v1/contact-sources`: address books synced into the contacts (docs/contacts.md,
"Synced address books"); the product mounts it beside the live sources (cti/product.py).
A user adds sources to its personal contacts; the tenant's admin to the company directory. A
source is seen, synced and deleted only by whoever may write its book: another user's source,
the company's for a non-admin and another tenant's all answer 404.

- `GET ""`: the sources one may manage, with the last sync's outcome.
- `POST /carddav`: `{"name", "scope", "url", "username", "password"}` -> 201; syncs now and every
  30 minutes. The password is sealed at rest and never shown again.
- `POST /graph/authorize`: `{"name", "scope"}` -> `{"authorize_url"}`; the browser goes there,
  Microsoft sends it back to `GET /graph/callback`, which makes the source (state checked
  against a cookie set with the answer: the flow ends in the browser that began it).
- `GET /{id}`, `DELETE /{id}` (204; its synced contacts go too), `POST /{id}/sync` (202).
"""

from __future__ import annotations

import html
import json
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from crm_connectors.connections import ConnectionRefused, check_resolved
from crm_connectors.errors import CrmError
from crm_connectors.graph_contacts import GraphApp
from cti.contact_sources import ContactSources
from cti.principal import Principal, Role
from cti.rest.contacts import viewer_of
from cti.rest.deps import CurrentPrincipal, Services
from cti.rest.provisioning_access import call
from cti.rest.provisioning_schemas import InputModel
from provisioning.contact_sources import SourceKind, StoredSource
from provisioning.contacts import MAX_NAME, Scope

router = APIRouter(
    prefix="/api/v1/contact-sources",
    tags=["contacts"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Only an admin syncs into the company directory"},
        404: {"description": "No such source among those you manage"},
        422: {"description": "Invalid field; body names `field` and `reason`"},
    },
)

SourceId = Annotated[int, Path(ge=1, le=2**31 - 1)]
STATE_TTL_S = 600
STATE_COOKIE = "opencc_graph_oauth"
CALLBACK_PATH = "/api/v1/contact-sources/graph/callback"


def _live(request: Request) -> ContactSources:
    live: ContactSources | None = getattr(request.app.state, "contact_sources", None)
    if live is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "contact sources are not run by this process"
        )
    return live


def _book(principal: Principal, scope: Scope) -> str | None:
    """The owner a new source of `scope` gets (None: the company directory), or 403."""
    viewer = viewer_of(principal)
    if viewer is None or (scope is Scope.COMPANY and principal.role is not Role.ADMIN):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            {"field": "scope", "reason": f"you may not sync into {scope} contacts"},
        )
    return viewer if scope is Scope.PERSONAL else None


def _manages(principal: Principal, source: StoredSource) -> bool:
    if source.tenant != principal.tenant or viewer_of(principal) is None:
        return False
    if source.owner is None:
        return principal.role is Role.ADMIN
    return source.owner == principal.username


class CardDavIn(InputModel):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    scope: Scope = Scope.PERSONAL
    url: str = Field(min_length=8, max_length=2000, description="The address book collection")
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=512, description="Sealed; never shown again")


class GraphAuthorizeIn(InputModel):
    name: str = Field(default="Outlook", min_length=1, max_length=MAX_NAME)
    scope: Scope = Scope.PERSONAL


class GraphAuthorizeOut(BaseModel):
    authorize_url: str


class SourceOut(BaseModel):
    id: int
    kind: SourceKind
    scope: Scope
    name: str
    settings: dict[str, Any]
    health: str
    last_error: str | None
    last_checked_at: datetime | None
    last_synced_at: datetime | None
    records: int | None
    skipped: int | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, s: StoredSource) -> SourceOut:
        return cls(
            id=s.id, kind=s.kind, scope=Scope.COMPANY if s.owner is None else Scope.PERSONAL,
            name=s.name, settings=s.settings, health=s.health.value, last_error=s.last_error,
            last_checked_at=s.last_checked_at, last_synced_at=s.last_synced_at,
            records=s.records, skipped=s.skipped, created_at=s.created_at,
            created_by=s.created_by,
        )  # fmt: skip


class SyncStarted(BaseModel):
    job: str


async def _mine(live: ContactSources, principal: Principal, source_id: int) -> StoredSource:
    source = await run_in_threadpool(live.store.get, principal.tenant, source_id)
    if source is None or not _manages(principal, source):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, {"field": "id", "reason": f"no source {source_id}"}
        )
    return source


async def _create(
    live: ContactSources,
    principal: Principal,
    owner: str | None,
    kind: SourceKind,
    name: str,
    settings: dict[str, Any],
    sealed: dict[str, str],
) -> StoredSource:
    made = await call(
        live.store.create, principal.tenant, owner, kind, name, settings,
        live.sealer.seal(sealed), actor=principal.username, now=datetime.now(UTC),
    )  # fmt: skip
    await run_in_threadpool(live.start, made.tenant, made.id)
    return made


@router.get("")
async def list_sources(principal: CurrentPrincipal, request: Request) -> list[SourceOut]:
    live = _live(request)
    stored = await run_in_threadpool(live.store.sources, principal.tenant)
    return [SourceOut.of(s) for s in stored if _manages(principal, s)]


@router.post("/carddav", status_code=status.HTTP_201_CREATED)
async def add_carddav(body: CardDavIn, principal: CurrentPrincipal, request: Request) -> SourceOut:
    live = _live(request)
    owner = _book(principal, body.scope)
    try:
        await check_resolved("url", body.url, live.environ)
    except ConnectionRefused as error:
        raise HTTPException(422, {"field": "url", "reason": str(error)}) from None
    settings = {"url": body.url, "username": body.username}
    made = await _create(live, principal, owner, SourceKind.CARDDAV, body.name, settings,
                         {"password": body.password})  # fmt: skip
    return SourceOut.of(made)


def _graph(live: ContactSources) -> GraphApp:
    if live.graph is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            {"field": "kind", "reason": "no Microsoft Graph app is configured on this server"},
        )
    return live.graph


def _redirect_uri(live: ContactSources, request: Request) -> str:
    base = live.public_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


def _state_key(services: Any, state: str) -> str:
    return f"{services.settings.key_prefix}contacts:graph-oauth:{state}"


@router.post("/graph/authorize")
async def authorize_graph(
    body: GraphAuthorizeIn,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    services: Services,
) -> GraphAuthorizeOut:
    live = _live(request)
    app = _graph(live)
    owner = _book(principal, body.scope)
    state = secrets.token_urlsafe(32)
    pending = {"tenant": principal.tenant, "owner": owner, "user": principal.username,
               "role": principal.role.value, "name": body.name}  # fmt: skip
    await services.redis.set(_state_key(services, state), json.dumps(pending), ex=STATE_TTL_S)
    redirect = _redirect_uri(live, request)
    response.set_cookie(
        STATE_COOKIE, state, max_age=STATE_TTL_S, path=CALLBACK_PATH, httponly=True,
        samesite="lax", secure=redirect.startswith("https:"),
    )  # fmt: skip
    return GraphAuthorizeOut(authorize_url=app.authorize_url(redirect, state))


def _page(title: str, text: str, code: int) -> HTMLResponse:
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(body, code)


@router.get("/graph/callback", response_class=HTMLResponse, include_in_schema=False)
async def graph_callback(
    request: Request,
    services: Services,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=4000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Where Microsoft sends the browser back. No bearer token comes with a redirect: the
    state (single use, 10 minutes) names the user, and must equal the cookie set in the
    browser that asked, so nobody can attach their mailbox to someone else's contacts."""
    live = _live(request)
    app = _graph(live)
    if not state or request.cookies.get(STATE_COOKIE) != state:
        return _page("Not connected", "This sign-in was not started in this browser.", 400)
    raw = await services.redis.getdel(_state_key(services, state))
    if raw is None:
        return _page("Not connected", "This sign-in expired or was used already.", 400)
    if error or not code:
        return _page("Not connected", f"Microsoft answered: {error or 'no code'}.", 400)
    pending = json.loads(raw)
    async with httpx.AsyncClient(timeout=15) as client:
        try:
            refresh = await app.redeem(client, code, _redirect_uri(live, request))
        except CrmError as failure:
            return _page("Not connected", str(failure), 502)
    principal = Principal(pending["tenant"], pending["user"], Role(pending["role"]))
    await _create(live, principal, pending["owner"], SourceKind.GRAPH, pending["name"], {},
                  {"refresh_token": refresh.reveal()})  # fmt: skip
    answer = _page("Outlook contacts connected", "Your contacts are being synced.", 200)
    answer.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
    return answer


@router.get("/{source_id}")
async def get_source(
    source_id: SourceId, principal: CurrentPrincipal, request: Request
) -> SourceOut:
    return SourceOut.of(await _mine(_live(request), principal, source_id))


@router.post("/{source_id}/sync", status_code=status.HTTP_202_ACCEPTED)
async def sync_source(
    source_id: SourceId, principal: CurrentPrincipal, request: Request
) -> SyncStarted:
    live = _live(request)
    source = await _mine(live, principal, source_id)
    return SyncStarted(job=await run_in_threadpool(live.sync_now, source.tenant, source.id))


@router.delete("/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_source(source_id: SourceId, principal: CurrentPrincipal, request: Request) -> None:
    live = _live(request)
    source = await _mine(live, principal, source_id)
    await run_in_threadpool(live.forget, source.id)
    await run_in_threadpool(live.store.delete, source.tenant, source.id)

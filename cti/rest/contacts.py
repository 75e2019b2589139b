"""`/api/v1/contacts`: the signed-in user's personal contacts and the company directory
(docs/contacts.md). Everyone of the tenant reads the directory and its own personal contacts;
each user writes its own; only the tenant's admin writes the directory. Another user's personal
contacts and another tenant's answer 404, the same as a contact that does not exist.

Imports are the raw file as the body (`text/vcard` or `text/csv`), at most 1 MB: a dry run
reports every bad row; a real import stores all rows or, when any row is bad, none (422 with the
same report).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from cti.principal import Principal, Role
from cti.rest.deps import CurrentPrincipal
from cti.rest.provisioning_access import Provisioning, call
from cti.rest.provisioning_schemas import InputModel
from provisioning.contacts import MAX_NOTE, MAX_NUMBERS, Contact, ContactSpec, Scope
from provisioning.contacts_import import MAX_UPLOAD_BYTES, ImportFormat, parse_upload
from provisioning.contacts_store import MAX_PAGE, ContactStore

router = APIRouter(
    prefix="/api/v1/contacts",
    tags=["contacts"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Only an admin changes the company directory"},
        404: {"description": "No such contact among yours and the company's"},
        409: {"description": "A synced contact: change it in its address book"},
        422: {"description": "Invalid field; body names `field` and `reason`"},
    },
)

ContactId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_FORMATS = {
    "text/vcard": ImportFormat.VCARD,
    "text/x-vcard": ImportFormat.VCARD,
    "text/directory": ImportFormat.VCARD,
    "text/csv": ImportFormat.CSV,
}


def get_store(service: Provisioning) -> ContactStore:
    return ContactStore(service.engine)


Store = Annotated[ContactStore, Depends(get_store)]


def viewer_of(principal: Principal) -> str | None:
    """Whose personal contacts: a signed-in user's own; an API token (a CRM plugin) has none."""
    return None if principal.role is Role.API else principal.username


def _not_synced(contact: Contact) -> None:
    """A synced contact is the address book's: the next sync would undo a change made here."""
    if contact.source is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            {"field": "source", "reason": "synced from an address book: change it there"},
        )


def _may_write(principal: Principal, scope: Scope) -> str:
    viewer = viewer_of(principal)
    if viewer is None or (scope is Scope.COMPANY and principal.role is not Role.ADMIN):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            {"field": "scope", "reason": f"you may not change {scope} contacts"},
        )
    return viewer


class ContactIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    numbers: list[Annotated[str, Field(min_length=2, max_length=40)]] = Field(
        min_length=1, max_length=MAX_NUMBERS, description="Any format; stored as E.164"
    )
    company: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    note: str = Field(default="", max_length=MAX_NOTE)

    def spec(self) -> ContactSpec:
        return ContactSpec(self.name, tuple(self.numbers), self.company, self.email, self.note)


class NewContactIn(ContactIn):
    scope: Scope = Scope.PERSONAL


class ContactOut(BaseModel):
    id: int
    scope: Scope
    name: str
    company: str
    numbers: list[str]
    email: str
    note: str
    source: int | None = Field(
        default=None, description="The synced address book it came from (then read-only)"
    )

    @classmethod
    def of(cls, c: Contact) -> ContactOut:
        return cls(id=c.id, scope=c.scope, name=c.name, company=c.company,
                   numbers=list(c.numbers), email=c.email, note=c.note,
                   source=c.source)  # fmt: skip


class ContactPageOut(BaseModel):
    total: int
    items: list[ContactOut]


class RowErrorOut(BaseModel):
    row: int
    field: str
    reason: str


class ImportReport(BaseModel):
    format: ImportFormat
    dry_run: bool
    valid: int
    imported: int
    errors: list[RowErrorOut]
    ignored_columns: list[str]


@router.get("")
async def list_contacts(
    principal: CurrentPrincipal,
    store: Store,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    scope: Annotated[Scope | None, Query(description="Only this kind (default: both)")] = None,
) -> ContactPageOut:
    viewer = viewer_of(principal)
    page = await call(store.search, principal.tenant, viewer, q, limit, offset, scope)
    return ContactPageOut(total=page.total, items=[ContactOut.of(c) for c in page.items])


@router.get("/{contact_id}")
async def get_contact(
    contact_id: ContactId, principal: CurrentPrincipal, store: Store
) -> ContactOut:
    return ContactOut.of(await call(store.get, principal.tenant, viewer_of(principal), contact_id))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: NewContactIn, principal: CurrentPrincipal, store: Store
) -> ContactOut:
    viewer = _may_write(principal, body.scope)
    made = await call(store.create, principal.tenant, viewer, body.scope, body.spec())
    return ContactOut.of(made)


@router.put("/{contact_id}")
async def update_contact(
    contact_id: ContactId, body: ContactIn, principal: CurrentPrincipal, store: Store
) -> ContactOut:
    current = await call(store.get, principal.tenant, viewer_of(principal), contact_id)
    viewer = _may_write(principal, current.scope)
    _not_synced(current)
    return ContactOut.of(
        await call(store.update, principal.tenant, viewer, contact_id, body.spec())
    )


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_contact(contact_id: ContactId, principal: CurrentPrincipal, store: Store) -> None:
    current = await call(store.get, principal.tenant, viewer_of(principal), contact_id)
    viewer = _may_write(principal, current.scope)
    _not_synced(current)
    await call(store.delete, principal.tenant, viewer, contact_id)


@router.post(
    "/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in _FORMATS},
        }
    },
    responses={
        413: {"description": f"Larger than {MAX_UPLOAD_BYTES} bytes"},
        415: {"description": "Neither text/vcard nor text/csv"},
    },
)
async def import_contacts(
    request: Request,
    principal: CurrentPrincipal,
    store: Store,
    scope: Scope = Scope.PERSONAL,
    dry_run: bool = False,
) -> ImportReport:
    viewer = _may_write(principal, scope)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = _FORMATS.get(media)
    if fmt is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            {"field": "content-type", "reason": "send text/vcard or text/csv"},
        )
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD_BYTES:  # stop reading: a huge body never sits in memory
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                {"field": "file", "reason": f"larger than {MAX_UPLOAD_BYTES} bytes"},
            )
    parsed = parse_upload(bytes(data), fmt)
    imported = 0
    if not dry_run and not parsed.errors:
        imported = len(
            await call(store.create_many, principal.tenant, viewer, scope, parsed.contacts)
        )
    report = ImportReport(
        format=fmt,
        dry_run=dry_run,
        valid=len(parsed.contacts),
        imported=imported,
        errors=[RowErrorOut(row=e.row, field=e.field, reason=e.reason) for e in parsed.errors],
        ignored_columns=parsed.ignored_columns,
    )
    if parsed.errors and not dry_run:
        raise HTTPException(422, report.model_dump(mode="json"))
    return report

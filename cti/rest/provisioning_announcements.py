"""Admin API for a tenant's announcements: upload (WAV or MP3, converted for the PBX), list,
listen back, delete. Call centers play one by naming it `announcement:<name>` in a prompt
setting (docs/provisioning.md, "Announcements").
"""

from __future__ import annotations

import os
import threading
import weakref
from datetime import UTC
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from pydantic import BaseModel

from cti.rest.deps import Services
from cti.rest.provisioning_access import Provisioning, Reader, TenantId, Writer, call
from cti.users import make_engine
from provisioning.announcement_store import AnnouncementService, AnnouncementView
from provisioning.announcements import MAX_UPLOAD_BYTES, PROMPTS_SUBDIR, reference

router = APIRouter()

Name = Annotated[str, Path(min_length=1, max_length=64, description="a-z, 0-9, - and _")]

_starting = threading.Lock()


def get_announcements(request: Request, services: Services, _: Provisioning) -> AnnouncementService:
    """The product's service (`app.state.announcements`, beside the PBX's prompts), or one made
    on first use under `$OPENCC_VAR_DIR/prompts` (after `Provisioning` migrated the schema)."""
    state = request.app.state
    with _starting:
        if getattr(state, "announcements", None) is None:
            engine = make_engine(services.settings.database_url)
            weakref.finalize(request.app, engine.dispose)
            prompts = FilePath(os.environ.get("OPENCC_VAR_DIR", "var")) / "prompts"
            state.announcements = AnnouncementService(engine, prompts / PROMPTS_SUBDIR)
    service: AnnouncementService = state.announcements
    return service


Announcements = Annotated[AnnouncementService, Depends(get_announcements)]


class AnnouncementOut(BaseModel):
    name: str
    reference: str
    """What a call center's prompt setting holds to play it."""
    seconds: float
    bytes: int
    uploaded_at: str
    uploaded_by: str
    used_by: list[str]

    @classmethod
    def of(cls, view: AnnouncementView) -> AnnouncementOut:
        return cls(
            name=view.name,
            reference=reference(view.name),
            seconds=view.seconds,
            bytes=view.bytes,
            # SQLite hands the stored UTC time back without its zone.
            uploaded_at=view.uploaded_at.replace(tzinfo=view.uploaded_at.tzinfo or UTC).isoformat(),
            uploaded_by=view.uploaded_by,
            used_by=view.used_by,
        )


@router.get("/{tenant}/announcements", summary="The tenant's announcements, by name")
async def list_announcements(
    tenant: TenantId, _: Reader, service: Announcements
) -> list[AnnouncementOut]:
    return [AnnouncementOut.of(v) for v in await call(service.list, tenant)]


@router.put(
    "/{tenant}/announcements/{name}",
    summary="Upload (create or replace) an announcement: the body is a WAV or MP3 file",
    openapi_extra={
        "requestBody": {
            "content": {
                "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                "audio/mpeg": {"schema": {"type": "string", "format": "binary"}},
            },
            "required": True,
        }
    },
    responses={
        200: {"description": "Replaced"},
        201: {"description": "Created"},
        413: {"description": "More than 16 MiB"},
    },
)
async def put_announcement(
    tenant: TenantId,
    name: Name,
    request: Request,
    response: Response,
    admin: Writer,
    service: Announcements,
) -> AnnouncementOut:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, {"field": "audio", "reason": "at most 16 MiB"})
    made, created = await call(service.put, admin.username, tenant, name, bytes(raw))
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return AnnouncementOut.of(made)


@router.get(
    "/{tenant}/announcements/{name}",
    summary="Listen: the announcement as the PBX plays it (8 kHz mono WAV)",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def get_announcement(
    tenant: TenantId, name: Name, _: Reader, service: Announcements
) -> Response:
    path = await call(service.file, tenant, name)
    try:
        audio = await call(path.read_bytes)
    except FileNotFoundError:  # deleted between the look-up and the read
        raise HTTPException(404, {"field": "name", "reason": f"no announcement {name!r}"}) from None
    return Response(audio, media_type="audio/wav", headers={"cache-control": "no-store"})


@router.delete(
    "/{tenant}/announcements/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an announcement (refused while a call center plays it)",
)
async def delete_announcement(
    tenant: TenantId, name: Name, admin: Writer, service: Announcements
) -> None:
    await call(service.delete, admin.username, tenant, name)

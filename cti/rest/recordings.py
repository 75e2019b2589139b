"""`/api/v1/recordings`: the recording portal's API (seed 3.2.6 "Beheeromgeving").

Who sees what: the tenant's admin every recording of the tenant; a user with a recording licence
its own recordings and those of the call centers it supervises; nobody else any (403), and never
another tenant's (a recording out of reach is 404, as one that does not exist). Audio goes out
only through signed, expiring links (`cti.recording_links`), so the browser's audio element can
stream and seek without a bearer header; every download and every use of a mailed link is in
the recording's access log.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi import Path as UrlPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from rq import Queue

from cti.principal import Principal, Role
from cti.recording_links import (
    DEFAULT_MAIL_DAYS,
    DOWNLOAD_SECONDS,
    MAX_MAIL_DAYS,
    PLAYER_SECONDS,
    InvalidLink,
    LinkPurpose,
    LinkSigner,
    RecordingLink,
)
from cti.recording_mail import mail_recording_link
from cti.rest.deps import Admin, CurrentPrincipal
from pbx_core.recording.files import AUDIO_MEDIA_TYPE
from provisioning.errors import Invalid, NotFound
from provisioning.recordings import (
    RETENTION_CHOICES,
    Recording,
    RecordingCatalogue,
    RecordingQuery,
    Visibility,
)
from provisioning.service import ProvisioningService

PREFIX = "/api/v1/recordings"
NUMBER = r"^\+?[0-9*#]{1,32}$"
EXTENSION = r"^[0-9]{2,8}$"
EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
MAIL_RETRIES = 3

router = APIRouter(prefix=PREFIX, tags=["recordings"])


@dataclass(frozen=True)
class RecordingsPortal:
    """What the routes need; `app.state.recordings` (set by `install`)."""

    catalogue: RecordingCatalogue
    provisioning: ProvisioningService
    archive: Path
    links: LinkSigner
    mail_queue: Queue
    public_url: str
    """Where mailed links point (never the request's Host header: it can be forged)."""


def install(app: Any, portal: RecordingsPortal) -> None:
    app.state.recordings = portal
    app.include_router(router)


def _portal(request: Request) -> RecordingsPortal:
    portal: RecordingsPortal = request.app.state.recordings
    return portal


Portal = Annotated[RecordingsPortal, Depends(_portal)]


def _licensed(portal: RecordingsPortal, principal: Principal) -> bool:
    try:
        user = portal.provisioning.user(principal.tenant, principal.username)
    except NotFound:
        return False
    return user.licences.recording is not None


async def _visibility(portal: Portal, principal: CurrentPrincipal) -> Visibility | None:
    """None: the whole tenant (its admin); refused (403) without a recording licence."""
    if principal.role is Role.ADMIN:
        return None
    allowed = principal.role in (Role.AGENT, Role.SUPERVISOR) and principal.extension
    if not allowed or not await run_in_threadpool(_licensed, portal, principal):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "no recording licence")
    assert principal.extension is not None
    return Visibility(principal.extension, principal.call_centers)


Visible = Annotated[Visibility | None, Depends(_visibility)]


class RecordingOut(BaseModel):
    id: int
    call_id: str
    user: str
    caller: str
    called: str
    call_center: str
    ended_at: datetime
    duration_seconds: float
    labels: list[str]

    @classmethod
    def of(cls, recording: Recording) -> RecordingOut:
        return cls(
            id=recording.id,
            call_id=recording.call_id,
            user=recording.owner,
            caller=recording.caller,
            called=recording.called,
            call_center=recording.call_center,
            ended_at=recording.ended_at,
            duration_seconds=round(recording.duration_seconds, 2),
            labels=list(recording.labels),
        )


class RecordingPage(BaseModel):
    total: int
    items: list[RecordingOut]


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


class LabelsIn(BaseModel):
    labels: list[Annotated[str, Field(max_length=64)]] = Field(max_length=20)


class MailIn(BaseModel):
    to: str = Field(max_length=254)
    days: int = Field(DEFAULT_MAIL_DAYS, ge=1, le=MAX_MAIL_DAYS)


class MailOut(BaseModel):
    to: str
    expires_at: datetime


class AccessOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: str


class RetentionIn(BaseModel):
    days: int


class RetentionOut(BaseModel):
    days: int
    choices: list[int]


def _reachable(
    portal: RecordingsPortal, tenant: str, rid: int, visible: Visibility | None
) -> Recording:
    found = portal.catalogue.get(tenant, rid, visible)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such recording")
    return found


def _link(portal: RecordingsPortal, link: RecordingLink, seconds: float) -> LinkOut:
    token = portal.links.sign(link, seconds)
    expires = datetime.now(UTC) + timedelta(seconds=seconds)
    return LinkOut(url=f"{PREFIX}/audio/{token}", expires_at=expires)


# Fixed paths first: `/{recording_id}` would take them otherwise.


@router.get("/retention")
async def retention(portal: Portal, principal: Admin) -> RetentionOut:
    days = await run_in_threadpool(portal.catalogue.retention_days, principal.tenant)
    return RetentionOut(days=days, choices=list(RETENTION_CHOICES))


@router.put("/retention")
async def set_retention(body: RetentionIn, portal: Portal, principal: Admin) -> RetentionOut:
    try:
        await run_in_threadpool(portal.catalogue.set_retention_days, principal.tenant, body.days)
    except Invalid as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, error.reason) from error
    return RetentionOut(days=body.days, choices=list(RETENTION_CHOICES))


@router.get("/audio/{token}", responses={404: {"description": "Invalid or expired link"}})
async def audio(token: Annotated[str, UrlPath(max_length=2048)], portal: Portal) -> Response:
    """The audio behind a signed link (no bearer: the link is the credential)."""
    try:
        link = portal.links.verify(token)
    except InvalidLink as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    recording = await run_in_threadpool(portal.catalogue.get, link.tenant, link.recording_id)
    path = (portal.archive / recording.audio).resolve() if recording is not None else None
    if recording is None or path is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the recording is gone")
    if not path.is_relative_to(portal.archive.resolve()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the recording is gone")
    if link.purpose is not LinkPurpose.PLAY:  # the player's link is audited when issued
        action = "export" if link.wav else link.purpose.value
        await run_in_threadpool(
            portal.catalogue.log_access, link.tenant, link.recording_id, link.actor, action
        )
    name = f"recording-{recording.id}"
    if link.wav:
        wav = await run_in_threadpool(_wav_export, path)
        return Response(
            wav,
            media_type="audio/wav",
            headers={"content-disposition": f'attachment; filename="{name}.wav"'},
        )
    disposition = "inline" if link.purpose is LinkPurpose.PLAY else "attachment"
    return FileResponse(
        path,
        media_type=AUDIO_MEDIA_TYPE,
        headers={
            "content-disposition": f'{disposition}; filename="{name}.opus"',
            "cache-control": "private, no-store",
            "referrer-policy": "no-referrer",
        },
    )


def _wav_export(path: Path) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "export.wav"
        subprocess.run(
            ["opusdec", "--quiet", "--rate", "8000", str(path), str(target)],
            check=True,
            capture_output=True,
        )
        return target.read_bytes()


@router.get("")
async def search(
    portal: Portal,
    principal: CurrentPrincipal,
    visible: Visible,
    since: datetime | None = None,
    until: datetime | None = None,
    number: Annotated[str | None, Query(pattern=NUMBER)] = None,
    user: Annotated[str | None, Query(pattern=EXTENSION)] = None,
    call_center: Annotated[str | None, Query(pattern=EXTENSION)] = None,
    label: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RecordingPage:
    query = RecordingQuery(
        visible=visible,
        owner=user,
        since=since,
        until=until,
        number=number,
        call_center=call_center,
        label=label,
        limit=limit,
        offset=offset,
    )
    total, found = await run_in_threadpool(portal.catalogue.search, principal.tenant, query)
    return RecordingPage(total=total, items=[RecordingOut.of(r) for r in found])


@router.get("/{recording_id}")
async def one(
    recording_id: int, portal: Portal, principal: CurrentPrincipal, visible: Visible
) -> RecordingOut:
    found = await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, visible)
    return RecordingOut.of(found)


@router.post("/{recording_id}/player")
async def player(
    recording_id: int, portal: Portal, principal: CurrentPrincipal, visible: Visible
) -> LinkOut:
    """A short-lived link for the portal's audio element; the listening is audited here."""
    await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, visible)
    await run_in_threadpool(
        portal.catalogue.log_access, principal.tenant, recording_id, principal.username, "play"
    )
    link = RecordingLink(principal.tenant, recording_id, principal.username, LinkPurpose.PLAY)
    return _link(portal, link, PLAYER_SECONDS)


@router.post("/{recording_id}/download")
async def download(
    recording_id: int,
    portal: Portal,
    principal: CurrentPrincipal,
    visible: Visible,
    wav: bool = False,
) -> LinkOut:
    """A one-minute link to the file (`wav=true`: the WAV export); audited when used."""
    await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, visible)
    link = RecordingLink(
        principal.tenant, recording_id, principal.username, LinkPurpose.DOWNLOAD, wav=wav
    )
    return _link(portal, link, DOWNLOAD_SECONDS)


@router.put("/{recording_id}/labels")
async def set_labels(
    recording_id: int, body: LabelsIn, portal: Portal, principal: CurrentPrincipal, visible: Visible
) -> RecordingOut:
    """Categorise: the recording's labels, replaced as given."""
    await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, visible)
    try:
        await run_in_threadpool(
            portal.catalogue.set_labels, principal.tenant, recording_id, body.labels
        )
    except Invalid as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, error.reason) from error
    await run_in_threadpool(
        portal.catalogue.log_access,
        principal.tenant,
        recording_id,
        principal.username,
        "label",
        ", ".join(body.labels),
    )
    return RecordingOut.of(
        await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, visible)
    )


@router.post("/{recording_id}/mail", status_code=status.HTTP_202_ACCEPTED)
async def mail(
    recording_id: int, body: MailIn, portal: Portal, principal: CurrentPrincipal, visible: Visible
) -> MailOut:
    """Send a link that expires after `days` (never the file); the mail goes out from the rq
    worker, retried if the mail server is away."""
    if not EMAIL.fullmatch(body.to):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "not an e-mail address")
    await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, visible)
    link = RecordingLink(principal.tenant, recording_id, body.to, LinkPurpose.MAIL)
    made = _link(portal, link, body.days * 86400)
    await run_in_threadpool(
        portal.mail_queue.enqueue,
        mail_recording_link,
        body.to,
        principal.username,
        portal.public_url.rstrip("/") + made.url,
        made.expires_at.strftime("%Y-%m-%d %H:%M"),
    )
    await run_in_threadpool(
        portal.catalogue.log_access,
        principal.tenant,
        recording_id,
        principal.username,
        "mail",
        body.to,
    )
    return MailOut(to=body.to, expires_at=made.expires_at)


@router.get("/{recording_id}/access")
async def access_log(recording_id: int, portal: Portal, principal: Admin) -> list[AccessOut]:
    """Who played, downloaded, mailed or labelled the recording (the admin's audit)."""
    await run_in_threadpool(_reachable, portal, principal.tenant, recording_id, None)
    entries = await run_in_threadpool(portal.catalogue.access_log, principal.tenant, recording_id)
    return [AccessOut(at=e.at, actor=e.actor, action=e.action, detail=e.detail) for e in entries]

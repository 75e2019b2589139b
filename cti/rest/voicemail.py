"""`GET /api/v1/voicemail` (contract.md) and one message's audio, read mark and deletion: the
signed-in user's own voicemail box only (its tenant and its extension)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from cti.rest.deps import CurrentPrincipal
from cti.voicemail import Voicemail
from pbx_core.voicemail.greetings import MAX_GREETING_BYTES, GreetingRefused
from provisioning.voicemail_boxes import EMAIL_PATTERN
from provisioning.voicemail_messages import VoicemailMessage

router = APIRouter(
    prefix="/api/v1/voicemail",
    tags=["voicemail"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The account has no extension, so no voicemail box"},
    },
)

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such message in the signed-in user's box"}
}


class Message(BaseModel):
    id: str
    caller: str
    received_at: datetime
    duration_seconds: int
    """Whole seconds, rounded (at least 1: shorter messages are not kept)."""
    read: bool

    @classmethod
    def of(cls, message: VoicemailMessage) -> Message:
        return cls(
            id=message.id,
            caller=message.caller,
            received_at=message.received_at,
            duration_seconds=max(1, round(message.duration_ms / 1000)),
            read=message.read,
        )


class NewPin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pin: str = Field(pattern=r"^[0-9]{4,8}$", description="4 to 8 digits")


class MailAddress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str | None = Field(
        max_length=254, pattern=EMAIL_PATTERN.pattern, description="null: do not mail"
    )


class ReadMark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    read: bool


def _voicemail(request: Request) -> Voicemail:
    voicemail: Voicemail | None = getattr(request.app.state, "voicemail", None)
    if voicemail is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "voicemail is not running")
    return voicemail


def _box(principal: CurrentPrincipal) -> tuple[str, str]:
    """(tenant, extension) of the signed-in user; a principal without a phone has no box."""
    if principal.extension is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "voicemail belongs to a user's extension")
    return principal.tenant, principal.extension


VoicemailService = Annotated[Voicemail, Depends(_voicemail)]
Box = Annotated[tuple[str, str], Depends(_box)]


@router.get("", responses={401: {"description": "Not signed in"}})
async def list_messages(box: Box, voicemail: VoicemailService) -> list[Message]:
    """The signed-in user's messages, newest first."""
    return [Message.of(m) for m in await voicemail.messages(*box)]


@router.put("/pin", status_code=status.HTTP_204_NO_CONTENT)
async def set_pin(body: NewPin, box: Box, voicemail: VoicemailService) -> Response:
    """The voice portal's PIN for the own box; a new PIN also lifts a lock after wrong tries."""
    await voicemail.set_pin(*box, body.pin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/email", status_code=status.HTTP_204_NO_CONTENT)
async def set_email(body: MailAddress, box: Box, voicemail: VoicemailService) -> Response:
    """Mail each new message, with its audio, to this address (null: stop mailing)."""
    await voicemail.set_email(*box, body.address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/greeting",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra={"requestBody": {"content": {"audio/wav": {}}, "required": True}},
    responses={413: {"description": "Larger than 5 MiB"}, 422: {"description": "Not a WAV"}},
)
async def upload_greeting(request: Request, box: Box, voicemail: VoicemailService) -> Response:
    """The caller hears this WAV (PCM, up to 60 s) instead of the spoken default, then the beep."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_GREETING_BYTES:  # read no further than the limit
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "greeting too large")
    try:
        await voicemail.set_greeting(*box, bytes(body))
    except GreetingRefused as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/greeting", status_code=status.HTTP_204_NO_CONTENT)
async def remove_greeting(box: Box, voicemail: VoicemailService) -> Response:
    """Back to the spoken default greeting."""
    await voicemail.remove_greeting(*box)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{message_id}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}, **_NOT_FOUND},
)
async def message_audio(message_id: str, box: Box, voicemail: VoicemailService) -> FileResponse:
    """The message as WAV (8 kHz mono 16-bit PCM): every browser plays it."""
    path: Path | None = None
    if _is_message_id(message_id):
        path = await voicemail.audio(*box, message_id)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such message")
    return FileResponse(path, media_type="audio/wav", filename=f"voicemail-{message_id}.wav")


@router.patch("/{message_id}", responses=_NOT_FOUND)
async def mark_message(
    message_id: str, body: ReadMark, box: Box, voicemail: VoicemailService
) -> Message:
    """Read or unread: the same state in the API, the agent client and the phones' MWI."""
    message = None
    if _is_message_id(message_id):
        message = await voicemail.set_read(*box, message_id, body.read)
    if message is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such message")
    return Message.of(message)


@router.delete("/{message_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
async def delete_message(message_id: str, box: Box, voicemail: VoicemailService) -> Response:
    if not (_is_message_id(message_id) and await voicemail.remove(*box, message_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such message")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _is_message_id(text: str) -> bool:
    """Ids are 32 lowercase hex digits; anything else is no message (404, never a lookup)."""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)

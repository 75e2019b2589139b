"""Signed, expiring links to one recording's audio: the portal's player (minutes), a download,
and the link sent by e-mail (days). A link names the tenant, the recording and who made it;
signed with the installation's token secret but with its own audience, so an access token is
never a link and a link never an access token."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

AUDIENCE = "opencc-recording"
ALGORITHM = "HS256"
PLAYER_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 60
MAX_MAIL_DAYS = 30
DEFAULT_MAIL_DAYS = 7


class LinkPurpose(StrEnum):
    PLAY = "play"
    """The portal's audio element (range requests; audited when issued)."""
    DOWNLOAD = "download"
    """The Ogg file, or a WAV export (audited on every use)."""
    MAIL = "mail"
    """Sent by e-mail (audited on every use)."""


class InvalidLink(Exception):
    """Forged, malformed or expired."""


@dataclass(frozen=True, slots=True)
class RecordingLink:
    tenant: str
    recording_id: int
    actor: str
    """Who made the link (for the mail: the recipient is in the access log)."""
    purpose: LinkPurpose
    wav: bool = False
    """A download as WAV (the export) instead of the stored Ogg Opus."""


@dataclass(frozen=True, slots=True)
class LinkSigner:
    secret: str

    def sign(self, link: RecordingLink, seconds: float, now: float | None = None) -> str:
        issued = time.time() if now is None else now
        claims = {
            "aud": AUDIENCE,
            "tenant": link.tenant,
            "rec": link.recording_id,
            "sub": link.actor,
            "use": link.purpose.value,
            "wav": link.wav,
            "exp": int(issued + seconds),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> RecordingLink:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["exp", "aud", "sub"]},
            )
            return RecordingLink(
                tenant=str(claims["tenant"]),
                recording_id=int(claims["rec"]),
                actor=str(claims["sub"]),
                purpose=LinkPurpose(claims["use"]),
                wav=bool(claims.get("wav", False)),
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidLink("the link has expired") from error
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as error:
            raise InvalidLink("not a valid recording link") from error

"""MD5 digest authentication with qop=auth (RFC 7616/2617, RFC 3261 section 22).

Nonces are stateless until used: "<issued, hex>.<HMAC-SHA256(issued|source|realm)>" under a
secret of this process, so a nonce is only good from the address and in the realm it was given
to, and only for `nonce_seconds`. The highest nonce count (nc) accepted per nonce is remembered
while the nonce lives: a request that repeats an nc (a replay) fails. The digest `uri` must name
the request's own Request-URI, so an answer captured for one request cannot serve another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sippy.SipURL import SipURL

from pbx_core.directory import Directory
from pbx_core.sip.headers import raw_header

NONCE_SECONDS = 60.0
"""How long a nonce may be used: a phone re-registering later gets `stale=true` and answers the
new challenge without asking its user anything."""
MAX_TRACKED_NONCES = 200_000
"""Nonces whose nc is remembered at once (~100 bytes each); beyond it the oldest are dropped and
nonces issued before them count as stale (a new challenge), never as unused."""
NC_DIGITS = 8


class Verdict(StrEnum):
    OK = "ok"
    STALE = "stale"
    """Expired, foreign (another source or realm, or not ours) or forgotten nonce: challenge
    again (401, stale=true); not a failed authentication."""
    FAILED = "failed"
    """Wrong password, user, realm or uri, no qop, a replayed nc, a user or domain nobody has:
    403, and it counts towards the source's ban (`auth_throttle.py`)."""


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """What an answer is checked against: the request it came with."""

    method: str
    request_uri: str
    source: str
    realm: str
    expected_user: str
    """REGISTER: the AOR's user (one phone's credentials cannot register another); INVITE: the
    From user (a caller cannot pose as someone else)."""


class DigestAuth:
    """Issues challenges and checks answers. One per PBX, used only in the SIP thread."""

    def __init__(
        self,
        *,
        nonce_seconds: float = NONCE_SECONDS,
        max_tracked: int = MAX_TRACKED_NONCES,
        clock: Callable[[], float] = time.monotonic,
        secret: bytes | None = None,
        extra_passwords: Callable[[str, str], list[str]] | None = None,
    ) -> None:
        """`extra_passwords(tenant, extension)`: further passwords a user may answer with
        besides its own (the short-lived ones of browser phones, `browser_credentials.py`)."""
        self._extra_passwords = extra_passwords
        self._nonce_seconds = nonce_seconds
        self._max_tracked = max_tracked
        self._clock = clock
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()
        """nonce -> (issued, highest nc accepted), oldest first use first."""
        self._horizon = -1
        """Nonces issued at or before this and no longer in `_counts` may have been used."""

    # Challenges ----------------------------------------------------------------------------------

    def nonce(self, source: str, realm: str) -> str:
        issued = int(self._clock() * 1_000_000)
        return f"{issued:x}.{self._mac(issued, source, realm)}"

    def challenge(self, realm: str, source: str, *, stale: bool = False) -> Any:
        """A WWW-Authenticate header for a 401 (RFC 7616 section 3.3; `stale=true` tells the
        phone its password was fine and only the nonce is new)."""
        value = (
            f'Digest realm="{realm}",nonce="{self.nonce(source, realm)}",qop="auth",algorithm=MD5'
        )
        return raw_header("WWW-Authenticate", value + (",stale=true" if stale else ""))

    def _mac(self, issued: int, source: str, realm: str) -> str:
        message = f"{issued:x}|{source}|{realm}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    # Answers -------------------------------------------------------------------------------------

    def check(
        self, directory: Directory | None, authorization: Any, request: DigestRequest
    ) -> Verdict:
        """The verdict on an Authorization header (sippy's, parsed lazily) for `request`."""
        try:
            if not authorization.parsed:
                authorization.parse()
            answer = _Answer.of(authorization)
        except Exception:  # a malformed header must not crash the SIP thread: it fails
            return Verdict.FAILED
        issued = self._issued(answer.nonce, request)
        if issued is None:
            return Verdict.STALE
        if not answer.complete() or answer.realm != request.realm:
            return Verdict.FAILED
        if answer.username != request.expected_user or not _same_uri(answer.uri, request):
            return Verdict.FAILED
        user = directory.user(answer.username) if directory is not None else None
        if directory is None or user is None:
            return Verdict.FAILED
        ha1s = [user.ha1_md5 or _md5(f"{user.extension}:{request.realm}:{user.password}")]
        if self._extra_passwords is not None:
            ha1s += [
                _md5(f"{user.extension}:{request.realm}:{p}")
                for p in self._extra_passwords(directory.tenant, user.extension)
            ]
        if not any(
            hmac.compare_digest(answer.expected_response(ha1, request.method), answer.response)
            for ha1 in ha1s
        ):
            return Verdict.FAILED
        return self._count(answer.nonce, issued, int(answer.nc, 16))

    def _issued(self, nonce: str, request: DigestRequest) -> int | None:
        """When our, unexpired nonce for this source and realm was issued; None otherwise."""
        issued_hex, _, mac = nonce.partition(".")
        try:
            issued = int(issued_hex, 16)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac(issued, request.source, request.realm)):
            return None
        age = self._clock() - issued / 1_000_000
        return issued if 0 <= age < self._nonce_seconds else None

    def _count(self, nonce: str, issued: int, nc: int) -> Verdict:
        self._forget_expired()
        seen = self._counts.get(nonce)
        if seen is None:
            if issued <= self._horizon:
                return Verdict.STALE  # its counts were dropped: they cannot be checked
            self._counts[nonce] = (issued, nc)
            if len(self._counts) > self._max_tracked:
                _, (dropped, _) = self._counts.popitem(last=False)
                self._horizon = max(self._horizon, dropped)
            return Verdict.OK
        if nc <= seen[1]:
            return Verdict.FAILED  # a replay
        self._counts[nonce] = (issued, nc)
        return Verdict.OK

    def _forget_expired(self) -> None:
        oldest_valid = int((self._clock() - self._nonce_seconds) * 1_000_000)
        while self._counts:
            nonce, (issued, _) = next(iter(self._counts.items()))
            if issued >= oldest_valid:
                return
            del self._counts[nonce]


@dataclass(frozen=True, slots=True)
class _Answer:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str
    qop: str
    nc: str
    cnonce: str

    @classmethod
    def of(cls, header: Any) -> _Answer:
        def text(value: Any) -> str:
            return "" if value is None else str(value)

        return cls(
            username=text(header.username),
            realm=text(header.realm),
            nonce=text(header.nonce),
            uri=text(header.uri),
            response=text(header.response).lower(),
            algorithm=text(header.algorithm) or "MD5",
            qop=text(header.qop),
            nc=text(header.nc),
            cnonce=text(header.cnonce),
        )

    def complete(self) -> bool:
        """qop=auth with its nc and cnonce, MD5: what our challenge asked for."""
        return (
            self.algorithm.upper() == "MD5"
            and self.qop == "auth"
            and len(self.nc) == NC_DIGITS
            and all(c in "0123456789abcdefABCDEF" for c in self.nc)
            and int(self.nc, 16) > 0
            and bool(self.cnonce)
        )

    def expected_response(self, ha1: str, method: str) -> str:
        ha2 = _md5(f"{method}:{self.uri}")
        return _md5(f"{ha1}:{self.nonce}:{self.nc}:{self.cnonce}:{self.qop}:{ha2}")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _same_uri(digest_uri: str, request: DigestRequest) -> bool:
    """The digest uri names the Request-URI (user, host, port; parameters aside)."""
    try:
        ours, theirs = SipURL(url=request.request_uri), SipURL(url=digest_uri)
    except Exception:
        return False
    return (
        str(ours.username or "") == str(theirs.username or "")
        and str(ours.host).lower() == str(theirs.host).lower()
        and (ours.port or 5060) == (theirs.port or 5060)
    )

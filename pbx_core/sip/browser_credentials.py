"""Short-lived SIP passwords for browser phones (docs/security.md, "Browser phone credentials").

The agent client fetches one from the API (`POST /api/v1/me/sip-credential`) instead of asking
its user for the phone's SIP password. The password is HMAC-SHA256 under a key only the PBX and
the API hold, over (tenant, extension, time window): nothing is stored, it is bound to one
extension of one tenant, and it stops working on its own, like TURN's REST credentials. The
SIP username stays the extension, so the registrar's and the B2BUA's digest checks (the AOR's
user, the From user) bind it to that extension as they bind the phone's own password.

A password of window w is accepted in windows w and w+1: it lives between `period` and twice
that, and the client fetches the next one when window w+1 starts (a period of margin).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_PERIOD = 600
"""Seconds per window: a fetched password works 10 to 20 minutes."""
_KEY_LABEL = b"opencc browser sip credential v1"


@dataclass(frozen=True, slots=True)
class BrowserCredential:
    username: str
    password: str
    expires_at: float
    """Unix time after which the password is refused."""
    refresh_after: float
    """Unix time at which the client should fetch a new one (a period before `expires_at`)."""


class BrowserCredentials:
    def __init__(
        self, key: bytes, period: int = DEFAULT_PERIOD, clock: Callable[[], float] = time.time
    ) -> None:
        if len(key) < 16:
            raise ValueError("the credential key must have at least 16 bytes")
        self._key = key
        self._period = period
        self._clock = clock

    @classmethod
    def derived_from(cls, secret: str, period: int = DEFAULT_PERIOD) -> BrowserCredentials:
        """Keyed from an installation secret (the access tokens'), under a label of its own:
        the same key in every process, and a SIP password never equals a token signature."""
        return cls(hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest(), period)

    def issue(self, tenant: str, extension: str) -> BrowserCredential:
        window = int(self._clock() // self._period)
        return BrowserCredential(
            username=extension,
            password=self._password(tenant, extension, window),
            expires_at=float((window + 2) * self._period),
            refresh_after=float((window + 1) * self._period),
        )

    def passwords(self, tenant: str, extension: str) -> list[str]:
        """The passwords valid now (this window's and the previous one's)."""
        window = int(self._clock() // self._period)
        return [self._password(tenant, extension, w) for w in (window, window - 1)]

    def _password(self, tenant: str, extension: str, window: int) -> str:
        message = f"{tenant}\x00{extension}\x00{window}".encode()
        mac = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

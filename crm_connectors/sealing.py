"""Credentials at rest: a connection's secrets sealed as one Fernet token (AES-128-CBC + HMAC).

The key comes from the environment (`OPENCC_CRM_KEY`, a urlsafe-base64 32-byte Fernet key), never
from the database that holds the sealed values, so a copy of the database alone reveals nothing.
`make demo` makes a key once under its var folder when none is set (cti/crm_connections.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

KEY_ENV = "OPENCC_CRM_KEY"


class SealingError(RuntimeError):
    """No usable key, or a sealed value made with another key (or tampered with)."""


def new_key() -> str:
    return Fernet.generate_key().decode()


class Sealer:
    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError) as error:
            raise SealingError(
                f"{KEY_ENV} is not a Fernet key (urlsafe base64, 32 bytes)"
            ) from error

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Sealer:
        key = environ.get(KEY_ENV)
        if not key:
            raise SealingError(f"set {KEY_ENV} to seal CRM credentials (a Fernet key)")
        return cls(key)

    def seal(self, secrets: Mapping[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(dict(secrets), sort_keys=True).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        try:
            data = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as error:
            raise SealingError(f"sealed with another {KEY_ENV}, or altered") from error
        return {str(k): str(v) for k, v in data.items()}

"""Password hashing with hashlib.scrypt; the parameters travel in the stored string."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """OWASP's password storage guidance for scrypt (2024): N=2^17, r=8, p=1, or an equal
    strength with less memory; this is its N=2^14, r=8, p=5 (16 MiB a check rather than 128,
    the same CPU work: five times 2^14 blocks). Measured here: about 0.25 s a check on a quiet
    core, 0.5 s on a loaded one (issue 19.3: N=2^14 with p=1 was a fifth of that)."""

    n: int = 2**14
    r: int = 8
    p: int = 5


PRODUCTION_COST = ScryptCost()
TEST_COST = ScryptCost(n=2**8, r=8, p=1)
"""Cheap, for test suites that create many users; never for real accounts."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, cost: ScryptCost = PRODUCTION_COST) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, dklen=32)
    return f"scrypt${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(digest)}"


def needs_rehash(stored: str, cost: ScryptCost = PRODUCTION_COST) -> bool:
    """Whether a stored hash was made cheaper than `cost` (an older installation's): the next
    successful sign-in stores the password again at `cost`."""
    try:
        scheme, n, r, p, *_ = stored.split("$")
        return scheme != "scrypt" or int(n) * int(r) * int(p) < cost.n * cost.r * cost.p
    except ValueError:
        return True


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))

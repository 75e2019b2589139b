"""Signed access tokens (JWT, HS256, with expiry) for signed-in users, and their verification.

A token carries everything authorization needs (tenant, role, extension, supervised call
centers), so checking a request needs no database, only the user's token generation in Redis
(cti/token_revocation.py). API tokens for CRM plugins are different: opaque, revocable, looked
up in SQL (`cti.users`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from cti.principal import Principal, Role

ALGORITHM = "HS256"
ISSUER = "opencc-cti"


class InvalidToken(Exception):
    """Forged, malformed, expired or revoked; the message says which, for the 401 response."""


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    principal: Principal
    generation: int
    """The user's token generation when it was issued; an older one than now is revoked."""
    expires_at: float
    """Epoch seconds; `math.inf` for API tokens, which live until revoked."""


@dataclass(frozen=True, slots=True)
class TokenSigner:
    secret: str
    ttl_seconds: float = 8 * 3600

    def issue(self, principal: Principal, generation: int = 0, now: float | None = None) -> str:
        issued = time.time() if now is None else now
        claims = {
            "iss": ISSUER,
            "sub": principal.username,
            "tenant": principal.tenant,
            "role": principal.role.value,
            "ext": principal.extension,
            "ccs": sorted(principal.call_centers),
            "gen": generation,
            "iat": int(issued),
            "exp": int(issued + self.ttl_seconds),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> VerifiedToken:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            role = Role(claims["role"])
            if role is Role.API:
                raise InvalidToken("API tokens are not JWTs")
            principal = Principal(
                tenant=str(claims["tenant"]),
                username=str(claims["sub"]),
                role=role,
                extension=claims.get("ext"),
                call_centers=frozenset(str(c) for c in claims.get("ccs") or ()),
            )
            return VerifiedToken(principal, int(claims.get("gen", 0)), float(claims["exp"]))
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token expired") from error
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as error:
            raise InvalidToken("invalid token") from error

"""MD5 digest authentication (RFC 2617 / 3261 section 22) on top of sippy's header classes."""

from __future__ import annotations

from typing import Any

from sippy.Security.SipNonce import DGST_MD5
from sippy.SipHeader import SipHeader
from sippy.SipProxyAuthenticate import SipProxyAuthenticate
from sippy.SipWWWAuthenticate import SipWWWAuthenticate

from pbx_core.directory import Directory


def challenge_header(realm: str, *, proxy: bool = False) -> Any:
    """A fresh challenge. sippy's nonces are stateless (encrypted timestamps, valid 32 s), so
    nothing has to be remembered between the 401/407 and the retried request."""
    body_class = SipProxyAuthenticate if proxy else SipWWWAuthenticate
    body = body_class(realm=realm, algorithm="MD5")
    name = "proxy-authenticate" if proxy else "www-authenticate"
    return SipHeader(name=name, body=body)


def verified_user(
    directory: Directory, authorization: Any, method: str, expected_user: str | None
) -> str | None:
    """The extension whose password produced this Authorization, or None.

    `expected_user` pins the username (REGISTER: the AOR being registered), so one phone's
    credentials cannot register another extension.
    """
    if authorization is None:
        return None
    try:
        if not authorization.parsed:
            authorization.parse()
        username = str(authorization.username)
    except Exception:  # sippy parses lazily; a malformed header must not crash the thread
        return None
    if expected_user is not None and username != expected_user:
        return None
    user = directory.user(username)
    if user is None:
        return None
    try:
        ok = bool(authorization.verify(user.password, method))
    except Exception:
        return None
    return username if ok else None


def nonce_is_fresh(authorization: Any) -> bool:
    """Our own, unexpired MD5 nonce: a failed check with it means a wrong password (403);
    with a stale or foreign one, the client just gets a new challenge (401)."""
    try:
        return bool(authorization.ho.validate_challenge(str(authorization.nonce), (DGST_MD5,)))
    except Exception:
        return False

"""Digest authentication of an out-of-dialog request answered at once (REGISTER, SUBSCRIBE): one
place for the challenge, the verdict, the refusal and its count toward the source's ban.

INVITE is answered through its UA (`sip/calls/inbound.py`), so it words the same steps as events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, assert_never

from pbx_core.directory import Directories, Directory, digest_realm
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.digest import DigestAuth, DigestRequest, Verdict
from pbx_core.sip.peer import peer_host

log = logging.getLogger(__name__)

SipReply = tuple[Any, None, None]


@dataclass(frozen=True, slots=True)
class Authenticated:
    directory: Directory
    realm: str


@dataclass(frozen=True, slots=True)
class RequestAuth:
    default_realm: str
    auth: DigestAuth
    throttle: AuthThrottle

    def check(
        self,
        req: Any,
        directories: Directories,
        extension: str,
        domain: str,
        what: str,
    ) -> Authenticated | SipReply:
        """`extension@domain` proved itself, or the answer to send: 401 with a challenge (also
        for unknown users and domains, so nobody can enumerate them) or 403. `what` names the
        request in the log (e.g. "REGISTER", "SUBSCRIBE dialog")."""
        directory = directories.for_domain(domain)
        realm = digest_realm(directory, self.default_realm)
        source = peer_host(req)
        authorization = req.getHFBody("authorization") if req.countHFs("authorization") else None
        if authorization is None:
            return self._challenge(req, realm, source, stale=False)
        asked = DigestRequest(req.getMethod(), str(req.getRURI()), source, realm, extension)
        verdict = self.auth.check(directory, authorization, asked)
        match verdict:
            case Verdict.OK:
                assert directory is not None  # nobody authenticates in no tenant
                return Authenticated(directory, realm)
            case Verdict.STALE:
                return self._challenge(req, realm, source, stale=True)
            case Verdict.FAILED:
                log.info("%s %s@%s from %s refused", what, extension, domain, source)
                if not directories.is_trunk(source):
                    self.throttle.failed(source, f"{req.getMethod()} {extension}@{domain}")
                return (req.genResponse(403, "Forbidden"), None, None)
            case _:
                assert_never(verdict)

    def _challenge(self, req: Any, realm: str, source: str, *, stale: bool) -> SipReply:
        resp = req.genResponse(401, "Unauthorized")
        resp.appendHeader(self.auth.challenge(realm, source, stale=stale))
        return (resp, None, None)

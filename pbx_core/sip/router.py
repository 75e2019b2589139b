"""The first stop of every out-of-dialog SIP request: REGISTER, new INVITEs, the rest."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from sippy.SipHeader import SipHeader

from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.calls import CallManager
from pbx_core.sip.headers import raw_header
from pbx_core.sip.peer import peer_host
from pbx_core.sip.registrar import Registrar
from pbx_core.sip.subscriptions import Subscriptions

log = logging.getLogger(__name__)

ALLOWED = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, REFER, SUBSCRIBE"


class SipRouter:
    def __init__(
        self,
        registrar: Registrar,
        calls: CallManager,
        throttle: AuthThrottle,
        subscriptions: Subscriptions,
    ) -> None:
        self._registrar = registrar
        self._calls = calls
        self._throttle = throttle
        self._subscriptions = subscriptions

    def __call__(self, req: Any, sip_t: Any) -> Any:
        try:
            return self._route(req, sip_t)
        except RedisError:
            log.exception("location service unavailable")
            return _reply(req, 503, "Service Unavailable")
        except Exception:
            # A request sippy could parse but we could not handle (odd headers, bad
            # numbers): refuse it; never let it unwind into the reactor.
            log.warning("cannot handle %s request", _method(req), exc_info=True)
            try:
                return (req.genResponse(400, "Bad Request"), None, None)
            except Exception:
                return None

    def _route(self, req: Any, sip_t: Any) -> Any:
        method = req.getMethod()
        if method in ("REGISTER", "INVITE", "SUBSCRIBE"):
            # Out-of-dialog only here (sippy hands in-dialog requests to their UA): a banned
            # address cannot register, start calls or subscribe, whatever credentials it sends.
            retry_after = self._throttle.retry_after(peer_host(req))
            if retry_after is not None:
                resp = req.genResponse(503, "Service Unavailable")
                resp.appendHeader(raw_header("Retry-After", str(retry_after)))
                return (resp, None, None)
        if method == "REGISTER":
            return self._registrar.handle(req)
        if method == "SUBSCRIBE":  # new, and refreshes within a subscription's dialog
            return self._subscriptions.subscribe(req)  # every event package (MWI, BLF)
        if req.getHFBody("to").getTag() is not None:
            # In-dialog request for a dialog we do not have (sippy routes known dialogs to
            # their UA before this callback).
            return (req.genResponse(481, "Call/Transaction Does Not Exist"), None, None)
        if method == "INVITE":
            return self._calls.new_invite(req, sip_t)
        if method == "OPTIONS":
            return (req.genResponse(200, "OK"), None, None)
        if method in ("BYE", "CANCEL", "INFO", "REFER", "PRACK", "UPDATE"):
            return (req.genResponse(481, "Call/Transaction Does Not Exist"), None, None)
        resp = req.genResponse(405, "Method Not Allowed")
        resp.appendHeader(SipHeader(name="allow", bodys=ALLOWED))
        return (resp, None, None)


def _reply(req: Any, code: int, reason: str) -> Any:
    try:
        return (req.genResponse(code, reason), None, None)
    except Exception:
        return None


def _method(req: Any) -> str:
    try:
        return str(req.getMethod())
    except Exception:
        return "?"

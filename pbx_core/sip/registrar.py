"""REGISTER handling: digest challenge, verification and the binding in the location store.

The To domain names the tenant (its SIP domain); the challenge's realm is that domain, and the
binding is the tenant's (docs/pbx.md, "Tenants").

How many devices an extension may register at once is the caller's to say (`devices_allowed`:
10 with SharedCallAppearance, else 1, where a new registration replaces the old); one more is
refused with 403 (docs/phone-features.md, "Several devices per user")."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sippy.SipHeader import SipHeader

from pbx_core.directory import Directories, Directory
from pbx_core.location import Binding, LocationStore
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.digest import DigestAuth
from pbx_core.sip.request_auth import Authenticated, RequestAuth, SipReply

log = logging.getLogger(__name__)

MIN_EXPIRES = 30
MAX_EXPIRES = 3600
DEFAULT_EXPIRES = 300


class Registrar:
    def __init__(
        self,
        directories: Directories,
        locations: LocationStore,
        realm: str,
        auth: DigestAuth,
        throttle: AuthThrottle,
        devices_allowed: Callable[[str, str], int] = lambda _tenant, _extension: 1,
    ) -> None:
        self._directories = directories
        self._locations = locations
        self._devices_allowed = devices_allowed
        """(tenant, extension) -> how many devices may be registered at once."""
        # `realm`: for a PBX of one company, and for domains that belong to no tenant.
        self._request_auth = RequestAuth(realm, auth, throttle)

    def set_directories(self, directories: Directories) -> None:
        self._directories = directories

    def handle(self, req: Any) -> SipReply:
        to = req.getHFBody("to").getUrl()
        extension = str(to.username or "")
        domain = str(to.host or "")
        checked = self._request_auth.check(req, self._directories, extension, domain, "REGISTER")
        if not isinstance(checked, Authenticated):
            return checked
        return self._bind(req, checked.directory, extension)

    def _bind(self, req: Any, directory: Directory, extension: str) -> SipReply:
        tenant = directory.tenant
        if req.countHFs("contact") == 0:
            # A query: answer with the current bindings.
            resp = req.genResponse(200, "OK")
            for current in self._locations.devices(tenant, extension):
                resp.appendHeader(SipHeader(name="contact", bodys=f"<{current.contact}>"))
            return (resp, None, None)
        contact = req.getHFBody("contact")
        expires = self._requested_expires(req, contact)
        if contact.asterisk:
            self._locations.remove(tenant, extension)
            return (req.genResponse(200, "OK"), None, None)
        if expires == 0:  # this device leaves; the user's other devices stay
            self._locations.remove(tenant, extension, str(contact.getUrl()))
            return (req.genResponse(200, "OK"), None, None)
        if expires < MIN_EXPIRES:
            resp = req.genResponse(423, "Interval Too Brief")
            resp.appendHeader(SipHeader(name="min-expires", bodys=str(MIN_EXPIRES)))
            return (resp, None, None)
        expires = min(expires, MAX_EXPIRES)
        url = contact.getUrl()
        binding = Binding(
            extension=extension,
            contact=str(url),
            host=str(url.host),
            port=int(url.port or 5060),
            expires=expires,
            tenant=tenant,
        )
        allowed = self._devices_allowed(tenant, extension)
        if not self._locations.save(binding, allowed):
            log.info("REGISTER %s of %s refused: %d devices registered", extension, tenant, allowed)
            return (req.genResponse(403, f"Too Many Devices ({allowed} registered)"), None, None)
        resp = req.genResponse(200, "OK")
        reply_contact = contact.getCopy()
        reply_contact.getUri().setParam("expires", str(expires))
        resp.appendHeader(SipHeader(name="contact", body=reply_contact))
        return (resp, None, None)

    @staticmethod
    def _requested_expires(req: Any, contact: Any) -> int:
        if not contact.asterisk:
            value = contact.getUri().getParam("expires")
            if value is not None and str(value).isdigit():
                return int(value)
        if req.countHFs("expires"):
            return int(req.getHFBody("expires").getNum())
        return DEFAULT_EXPIRES

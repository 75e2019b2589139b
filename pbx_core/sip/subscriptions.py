"""SIP event subscriptions (RFC 6665) shared by every event package the PBX serves: message
waiting (RFC 3842, `pbx_core.voicemail.mwi`) and the busy lamp field's dialog package (RFC 4235,
`pbx_core.presence.blf`).

This module does what is the same for every package: the subscriber's digest authentication,
the subscription's dialog (our tag, their tag, their Contact), Expires bounds and refreshes,
un-SUBSCRIBE (`Expires: 0`), the timer that ends it, and the NOTIFYs with their
Subscription-State. A package says which resource a subscriber may watch (or the SIP answer
refusing it) and what a NOTIFY's body is; when its resource changes it calls `changed`.

Runs in the SIP thread. Subscriptions live in memory: after a PBX restart phones subscribe
again when their subscription runs out (at most `MAX_EXPIRES`), as they do after any failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from sippy.Core.EventDispatcher import ED2
from sippy.MsgBody import MsgBody
from sippy.SipFrom import SipFrom
from sippy.SipHeader import SipHeader
from sippy.SipRequest import SipRequest
from sippy.SipTo import SipTo
from sippy.Time.Timeout import Timeout

from pbx_core.directory import Directories, Directory
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.cased_header import cased_header
from pbx_core.sip.digest import DigestAuth
from pbx_core.sip.headers import our_contact
from pbx_core.sip.request_auth import Authenticated, RequestAuth, SipReply

log = logging.getLogger(__name__)

MIN_EXPIRES = 60
MAX_EXPIRES = 3600
DEFAULT_EXPIRES = 3600


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Who subscribes: an authenticated extension of `directory`'s tenant."""

    directory: Directory
    extension: str
    realm: str
    """The tenant's digest realm (its SIP domain, or the PBX's realm)."""
    uri_tenant: str | None
    """The tenant whose SIP domain the Request-URI names; None: no tenant's (an address)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A package's answer to a SUBSCRIBE it will not serve (403 another tenant, 404 unknown)."""

    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Watch:
    """What a subscription watches, as the package decided it."""

    resource: Hashable
    """The package's key of the watched thing, `changed(resource)` names it."""
    uri: str
    """The resource's SIP URI (RFC 3842 Message-Account, RFC 4235 `entity`)."""
    limit_key: Hashable
    """Subscriptions with the same key count against the package's `max_subscriptions`."""


class EventPackage(Protocol):
    event: str
    """The Event header's package name (`message-summary`, `dialog`)."""
    content_type: str
    max_subscriptions: int
    """Per `Watch.limit_key`; more is a misbehaving client."""

    def watch(self, req: Any, subscriber: Subscriber) -> Watch | Refusal: ...

    def body(self, subscription: Subscription) -> str:
        """The NOTIFY's body for this subscription now (`subscription.version` counts its
        NOTIFYs from 0)."""
        ...


@dataclass(eq=False)
class Subscription:
    package: EventPackage
    watch: Watch
    call_id: Any
    local: Any
    """Our side of the dialog: the SUBSCRIBE's To, with our tag."""
    remote: Any
    """Their side: the SUBSCRIBE's From, with their tag."""
    target: Any
    """The phone's Contact URL: NOTIFYs go there, to the address the SUBSCRIBE came from."""
    address: tuple[str, int]
    cseq: int = 0
    version: int = -1
    """The last NOTIFY's number (RFC 4235 `version`), -1 before the first."""
    timer: Any = None
    expires_at: float = 0.0
    """`time.monotonic()` when it runs out."""
    ended: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.call_id), str(self.local.getTag()))


class Subscriptions:
    """The subscriber's tenant is its From domain (as a caller's is for INVITE); the digest realm
    is that tenant's SIP domain (docs/pbx.md, "Tenants")."""

    def __init__(
        self,
        global_config: dict[str, Any],
        directories: Directories,
        realm: str,
        auth: DigestAuth,
        throttle: AuthThrottle,
    ) -> None:
        self._config = global_config
        self._directories = directories
        # `realm`: for a PBX of one company, and for domains that belong to no tenant.
        self._request_auth = RequestAuth(realm, auth, throttle)
        self._packages: dict[str, EventPackage] = {}
        self._by_key: dict[tuple[str, str], Subscription] = {}
        """(Call-ID, our tag) -> the subscription."""
        self._by_resource: dict[tuple[str, Hashable], dict[tuple[str, str], Subscription]] = {}
        """(event, resource) -> its subscriptions: a change NOTIFYs only its watchers."""
        self._per_limit: dict[tuple[str, Hashable], int] = {}

    def serve(self, package: EventPackage) -> None:
        """Answer SUBSCRIBEs for `package.event` (packages are made with `changed`)."""
        self._packages[package.event] = package

    def set_directories(self, directories: Directories) -> None:
        self._directories = directories

    # -----------------------------------------------------------------------------------------
    # SUBSCRIBE

    def subscribe(self, req: Any) -> SipReply:
        event = str(req.getHFBody("event")).split(";")[0].strip() if req.countHFs("event") else ""
        package = self._packages.get(event.lower())
        if package is None:
            resp = req.genResponse(489, "Bad Event")
            resp.appendHeader(SipHeader(name="allow-events", bodys=", ".join(self._packages)))
            return (resp, None, None)
        url = req.getHFBody("from").getUrl()
        extension = str(url.username or "")
        domain = str(url.host or "")
        checked = self._request_auth.check(
            req, self._directories, extension, domain, f"SUBSCRIBE {event}"
        )
        if not isinstance(checked, Authenticated):
            return checked
        directory, realm = checked.directory, checked.realm
        uri_tenant = self._directories.domains.get(str(req.getRURI().host or "").lower())
        watch = package.watch(req, Subscriber(directory, extension, realm, uri_tenant))
        if isinstance(watch, Refusal):
            return (req.genResponse(watch.code, watch.reason), None, None)
        expires = _requested_expires(req)
        to_tag = req.getHFBody("to").getTag()
        if to_tag is not None:
            return self._refresh(req, str(to_tag), expires, watch)
        if expires == 0:
            # A fetch (RFC 6665 4.4.3): the state once, no subscription kept.
            return self._start(req, package, watch, 0)
        if self._per_limit.get((package.event, watch.limit_key), 0) >= package.max_subscriptions:
            return (req.genResponse(403, "Too Many Subscriptions"), None, None)
        return self._start(req, package, watch, max(MIN_EXPIRES, min(expires, MAX_EXPIRES)))

    def _start(self, req: Any, package: EventPackage, watch: Watch, expires: int) -> SipReply:
        contact = req.getHFBody("contact").getUrl() if req.countHFs("contact") else None
        if contact is None:
            return (req.genResponse(400, "Missing Contact"), None, None)
        # Their To is our From in the NOTIFYs, their From our To (sippy names a header by the
        # class of its body, so each is made anew as the other class).
        local = SipFrom(address=req.getHFBody("to").address.getCopy())
        local.genTag()
        remote = SipTo(address=req.getHFBody("from").address.getCopy())
        remote.setTag(req.getHFBody("from").getTag())
        subscription = Subscription(
            package=package,
            watch=watch,
            call_id=req.getHFBody("call-id").getCopy(),
            local=local,
            remote=remote,
            target=contact.getCopy(),
            address=_source(req),
        )
        if expires:
            self._add(subscription)
            self._arm(subscription, expires)
        resp = req.genResponse(200, "OK")
        resp.getHFBody("to").setTag(local.getTag())
        # A 2xx to SUBSCRIBE and each NOTIFY carry our Contact (RFC 6665 4.1.2.1, 4.2.2): a
        # phone's stack (baresip's libre) drops a subscription whose 200 has none.
        resp.appendHeader(SipHeader(name="contact", body=our_contact(self._config)))
        resp.appendHeader(SipHeader(name="expires", bodys=str(expires)))
        # After the 200 has gone out (sippy sends it once this callback returns).
        self._later(partial(self._notify, subscription, expires))
        return (resp, None, None)

    def _refresh(self, req: Any, to_tag: str, expires: int, watch: Watch) -> SipReply:
        subscription = self._by_key.get((str(req.getHFBody("call-id")), to_tag))
        if subscription is None or subscription.watch != watch:  # only its own subscriber
            return (req.genResponse(481, "Subscription Does Not Exist"), None, None)
        resp = req.genResponse(200, "OK")
        resp.appendHeader(SipHeader(name="contact", body=our_contact(self._config)))
        if expires == 0:
            self._end(subscription)
        else:
            expires = max(MIN_EXPIRES, min(expires, MAX_EXPIRES))
            self._arm(subscription, expires)
        resp.appendHeader(SipHeader(name="expires", bodys=str(expires)))
        self._later(partial(self._notify, subscription, expires))
        return (resp, None, None)

    def _add(self, subscription: Subscription) -> None:
        event = subscription.package.event
        self._by_key[subscription.key] = subscription
        watchers = self._by_resource.setdefault((event, subscription.watch.resource), {})
        watchers[subscription.key] = subscription
        limit = (event, subscription.watch.limit_key)
        self._per_limit[limit] = self._per_limit.get(limit, 0) + 1

    def _arm(self, subscription: Subscription, expires: int) -> None:
        if subscription.timer is not None:
            subscription.timer.cancel()
        subscription.timer = Timeout(partial(self._expired, subscription), expires)
        subscription.expires_at = time.monotonic() + expires

    def _expired(self, subscription: Subscription) -> None:
        subscription.timer = None
        self._end(subscription)
        self._notify(subscription, 0)

    def _end(self, subscription: Subscription) -> None:
        if subscription.ended:
            return
        subscription.ended = True
        if subscription.timer is not None:
            subscription.timer.cancel()
            subscription.timer = None
        if self._by_key.pop(subscription.key, None) is None:
            return  # a fetch: never added
        event = subscription.package.event
        resource = (event, subscription.watch.resource)
        watchers = self._by_resource.get(resource, {})
        watchers.pop(subscription.key, None)
        if not watchers:
            self._by_resource.pop(resource, None)
        limit = (event, subscription.watch.limit_key)
        left = self._per_limit.get(limit, 1) - 1
        if left:
            self._per_limit[limit] = left
        else:
            self._per_limit.pop(limit, None)

    # -----------------------------------------------------------------------------------------
    # NOTIFY

    def changed(self, event: str, resource: Hashable) -> None:
        """The package's `resource` changed: every subscription watching it gets a NOTIFY."""
        now = time.monotonic()
        for subscription in list(self._by_resource.get((event, resource), {}).values()):
            self._notify(subscription, max(1, int(subscription.expires_at - now)))

    def _notify(self, subscription: Subscription, expires: int) -> None:
        package = subscription.package
        subscription.cseq += 1
        subscription.version += 1
        state = f"active;expires={expires}" if expires else "terminated;reason=timeout"
        req = SipRequest(
            method="NOTIFY",
            ruri=subscription.target,
            to=subscription.remote,
            fr0m=subscription.local,
            cseq=subscription.cseq,
            callid=subscription.call_id,
            target=(subscription.address, "udp"),
            body=MsgBody(package.body(subscription), mtype=package.content_type),
        )
        req.appendHeader(SipHeader(name="contact", body=our_contact(self._config)))
        req.appendHeader(cased_header("Event", package.event))
        req.appendHeader(cased_header("Subscription-State", state))
        self._config["_sip_tm"].newTransaction(req, partial(self._notify_answered, subscription))

    def _notify_answered(self, subscription: Subscription, resp: Any) -> None:
        code = resp.getSCode()[0]
        if code in (404, 405, 481, 489):
            # The phone forgot the subscription (RFC 6665 4.1.3): stop telling it.
            self._end(subscription)

    def _later(self, func: Any) -> None:
        ED2.callFromThread(func)

    def count(self, event: str) -> int:
        """Subscriptions of one package kept now (tests, metrics)."""
        return sum(s.package.event == event for s in self._by_key.values())


def _requested_expires(req: Any) -> int:
    if not req.countHFs("expires"):
        return DEFAULT_EXPIRES
    try:
        return max(0, int(str(req.getHFBody("expires")).strip()))
    except ValueError:
        return DEFAULT_EXPIRES


def _source(req: Any) -> tuple[str, int]:
    host, port = req.getSource()
    return (str(host), int(port))

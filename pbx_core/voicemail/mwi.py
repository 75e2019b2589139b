"""Message waiting indication (RFC 3842): phones SUBSCRIBE to `message-summary` for their own
mailbox; the PBX answers 200 and NOTIFYs the counts at once, then again whenever they change
(a message left, read, unread or deleted) until the subscription expires or is ended.

Runs in the SIP thread. Subscriptions live in memory: after a PBX restart phones subscribe
again when their subscription runs out (at most `MAX_EXPIRES`), as they do after any
failure. The counts are the voicemail table's, pushed in by the product (`set_counts`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, assert_never

from sippy.Core.EventDispatcher import ED2
from sippy.MsgBody import MsgBody
from sippy.SipFrom import SipFrom
from sippy.SipHeader import SipHeader
from sippy.SipRequest import SipRequest
from sippy.SipTo import SipTo
from sippy.Time.Timeout import Timeout

from pbx_core.directory import Directories, digest_realm
from pbx_core.sip.auth_throttle import AuthThrottle
from pbx_core.sip.cased_header import cased_header
from pbx_core.sip.digest import DigestAuth, DigestRequest, Verdict
from pbx_core.sip.peer import peer_host

log = logging.getLogger(__name__)

EVENT = "message-summary"
CONTENT_TYPE = "application/simple-message-summary"
MIN_EXPIRES = 60
MAX_EXPIRES = 3600
DEFAULT_EXPIRES = 3600
MAX_SUBSCRIPTIONS_PER_MAILBOX = 10
"""A user's phones (desk, soft, mobile) with room to spare; more is a misbehaving client."""

SipReply = tuple[Any, None, None]
Mailbox = tuple[str, str]
"""(tenant, extension)."""


@dataclass(frozen=True, slots=True)
class Counts:
    new: int = 0
    old: int = 0


def summary_body(account: str, counts: Counts) -> str:
    """RFC 3842 section 5.2: the waiting flag, the account, and the voice-message counts."""
    waiting = "yes" if counts.new else "no"
    return (
        f"Messages-Waiting: {waiting}\r\n"
        f"Message-Account: {account}\r\n"
        f"Voice-Message: {counts.new}/{counts.old} (0/0)\r\n"
    )


@dataclass(eq=False)
class _Subscription:
    mailbox: Mailbox
    account: str
    """`sip:<extension>@<the tenant's SIP domain>` (RFC 3842 Message-Account)."""
    call_id: Any
    local: Any
    """Our side of the dialog: the SUBSCRIBE's To, with our tag."""
    remote: Any
    """Their side: the SUBSCRIBE's From, with their tag."""
    target: Any
    """The phone's Contact URL: NOTIFYs go there, to the address the SUBSCRIBE came from."""
    address: tuple[str, int]
    cseq: int = 0
    timer: Any = None
    expires_at: float = 0.0
    """`time.monotonic()` when it runs out."""
    ended: bool = False


class MessageWaiting:
    """The subscriber's tenant is its From domain (as a caller's is for INVITE); the digest realm
    is that tenant's SIP domain and the mailbox that tenant's extension (docs/pbx.md, "Tenants")."""

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
        self._realm = realm
        """For a PBX of one company, and for domains that belong to no tenant."""
        self._auth = auth
        self._throttle = throttle
        self._counts: dict[Mailbox, Counts] = {}
        self._subscriptions: dict[tuple[str, str], _Subscription] = {}
        """(Call-ID, our tag) -> the subscription."""

    def set_directories(self, directories: Directories) -> None:
        self._directories = directories

    # -----------------------------------------------------------------------------------------
    # SUBSCRIBE

    def subscribe(self, req: Any) -> SipReply:
        event = str(req.getHFBody("event")).split(";")[0].strip() if req.countHFs("event") else ""
        if event.lower() != EVENT:
            resp = req.genResponse(489, "Bad Event")
            resp.appendHeader(SipHeader(name="allow-events", bodys=EVENT))
            return (resp, None, None)
        url = req.getHFBody("from").getUrl()
        extension = str(url.username or "")
        domain = str(url.host or "")
        directory = self._directories.for_domain(domain)
        realm = digest_realm(directory, self._realm)
        source = peer_host(req)
        authorization = req.getHFBody("authorization") if req.countHFs("authorization") else None
        if authorization is None:
            return self._challenge(req, realm, source, stale=False)
        asked = DigestRequest("SUBSCRIBE", str(req.getRURI()), source, realm, extension)
        verdict = self._auth.check(directory, authorization, asked)
        match verdict:
            case Verdict.OK:
                pass
            case Verdict.STALE:
                return self._challenge(req, realm, source, stale=True)
            case Verdict.FAILED:
                log.info("SUBSCRIBE %s@%s from %s refused", extension, domain, source)
                if not self._directories.is_trunk(source):
                    self._throttle.failed(source, f"SUBSCRIBE {extension}@{domain}")
                return (req.genResponse(403, "Forbidden"), None, None)
            case _:
                assert_never(verdict)
        assert directory is not None  # nobody authenticates in no tenant
        mailbox = (directory.tenant, extension)
        account = f"sip:{extension}@{realm}"
        expires = _requested_expires(req)
        to_tag = req.getHFBody("to").getTag()
        if to_tag is not None:
            return self._refresh(req, str(to_tag), expires, mailbox)
        if expires == 0:
            # A fetch (RFC 6665 4.4.3): the counts once, no subscription kept.
            return self._start(req, mailbox, account, 0)
        if sum(s.mailbox == mailbox for s in self._subscriptions.values()) >= (
            MAX_SUBSCRIPTIONS_PER_MAILBOX
        ):
            return (req.genResponse(403, "Too Many Subscriptions"), None, None)
        return self._start(req, mailbox, account, max(MIN_EXPIRES, min(expires, MAX_EXPIRES)))

    def _challenge(self, req: Any, realm: str, source: str, *, stale: bool) -> SipReply:
        resp = req.genResponse(401, "Unauthorized")
        resp.appendHeader(self._auth.challenge(realm, source, stale=stale))
        return (resp, None, None)

    def _start(self, req: Any, mailbox: Mailbox, account: str, expires: int) -> SipReply:
        # Their To is our From in the NOTIFYs, their From our To (sippy names a header by the
        # class of its body, so each is made anew as the other class).
        local = SipFrom(address=req.getHFBody("to").address.getCopy())
        local.genTag()
        remote = SipTo(address=req.getHFBody("from").address.getCopy())
        remote.setTag(req.getHFBody("from").getTag())
        contact = req.getHFBody("contact").getUrl() if req.countHFs("contact") else None
        if contact is None:
            return (req.genResponse(400, "Missing Contact"), None, None)
        subscription = _Subscription(
            mailbox=mailbox,
            account=account,
            call_id=req.getHFBody("call-id").getCopy(),
            local=local,
            remote=remote,
            target=contact.getCopy(),
            address=_source(req),
        )
        key = (str(subscription.call_id), str(local.getTag()))
        if expires:
            self._subscriptions[key] = subscription
            self._arm(key, subscription, expires)
        resp = req.genResponse(200, "OK")
        resp.getHFBody("to").setTag(local.getTag())
        resp.appendHeader(SipHeader(name="expires", bodys=str(expires)))
        # After the 200 has gone out (sippy sends it once this callback returns).
        self._later(partial(self._notify, subscription, expires))
        return (resp, None, None)

    def _refresh(self, req: Any, to_tag: str, expires: int, mailbox: Mailbox) -> SipReply:
        key = (str(req.getHFBody("call-id")), to_tag)
        subscription = self._subscriptions.get(key)
        if subscription is None or subscription.mailbox != mailbox:  # only its own subscriber
            return (req.genResponse(481, "Subscription Does Not Exist"), None, None)
        resp = req.genResponse(200, "OK")
        if expires == 0:
            self._end(key, subscription)
        else:
            expires = max(MIN_EXPIRES, min(expires, MAX_EXPIRES))
            self._arm(key, subscription, expires)
        resp.appendHeader(SipHeader(name="expires", bodys=str(expires)))
        self._later(partial(self._notify, subscription, expires))
        return (resp, None, None)

    def _arm(self, key: tuple[str, str], subscription: _Subscription, expires: int) -> None:
        if subscription.timer is not None:
            subscription.timer.cancel()
        subscription.timer = Timeout(partial(self._expired, key, subscription), expires)
        subscription.expires_at = time.monotonic() + expires

    def _expired(self, key: tuple[str, str], subscription: _Subscription) -> None:
        subscription.timer = None
        self._end(key, subscription)
        self._notify(subscription, 0)

    def _end(self, key: tuple[str, str], subscription: _Subscription) -> None:
        subscription.ended = True
        if subscription.timer is not None:
            subscription.timer.cancel()
            subscription.timer = None
        self._subscriptions.pop(key, None)

    # -----------------------------------------------------------------------------------------
    # NOTIFY

    def set_counts(self, tenant: str, extension: str, new: int, old: int) -> None:
        """A mailbox's counts changed: every phone subscribed to it is told."""
        mailbox = (tenant, extension)
        counts = Counts(new, old)
        if self._counts.get(mailbox, Counts()) == counts:
            return
        self._counts[mailbox] = counts
        for subscription in list(self._subscriptions.values()):
            if subscription.mailbox == mailbox:
                remaining = subscription.expires_at - time.monotonic()
                self._notify(subscription, max(1, int(remaining)))

    def _notify(self, subscription: _Subscription, expires: int) -> None:
        subscription.cseq += 1
        state = f"active;expires={expires}" if expires else "terminated;reason=timeout"
        req = SipRequest(
            method="NOTIFY",
            ruri=subscription.target,
            to=subscription.remote,
            fr0m=subscription.local,
            cseq=subscription.cseq,
            callid=subscription.call_id,
            target=(subscription.address, "udp"),
            body=MsgBody(
                summary_body(
                    subscription.account, self._counts.get(subscription.mailbox, Counts())
                ),
                mtype=CONTENT_TYPE,
            ),
        )
        req.appendHeader(cased_header("Event", EVENT))
        req.appendHeader(cased_header("Subscription-State", state))
        self._config["_sip_tm"].newTransaction(req, partial(self._notify_answered, subscription))

    def _notify_answered(self, subscription: _Subscription, resp: Any) -> None:
        code = resp.getSCode()[0]
        if code in (404, 405, 481, 489) and not subscription.ended:
            # The phone forgot the subscription (RFC 6665 4.1.3): stop telling it.
            key = (str(subscription.call_id), str(subscription.local.getTag()))
            self._end(key, subscription)

    def _later(self, func: Any) -> None:
        ED2.callFromThread(func)

    def subscription_count(self) -> int:
        return len(self._subscriptions)


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

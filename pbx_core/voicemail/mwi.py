"""Message waiting indication (RFC 3842): phones SUBSCRIBE to `message-summary` for their own
mailbox; the PBX answers 200 and NOTIFYs the counts at once, then again whenever they change
(a message left, read, unread or deleted) until the subscription expires or is ended.

The event package only: the subscription machinery (auth, dialog, expiry, NOTIFY) is
`pbx_core.sip.subscriptions`. Runs in the SIP thread. The counts are the voicemail table's,
pushed in by the product (`set_counts`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from pbx_core.sip.subscriptions import Refusal, Subscriber, Subscription, Watch

EVENT = "message-summary"
CONTENT_TYPE = "application/simple-message-summary"

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


class MessageWaiting:
    """A subscriber watches its own mailbox: the From's extension in its own tenant."""

    event = EVENT
    content_type = CONTENT_TYPE
    max_subscriptions = 10
    """Per mailbox: a user's phones (desk, soft, mobile) with room to spare."""

    def __init__(self, changed: Callable[[str, Hashable], None]) -> None:
        """`changed(event, mailbox)`: `Subscriptions.changed`, to NOTIFY a mailbox's phones."""
        self._changed = changed
        self._counts: dict[Mailbox, Counts] = {}

    def watch(self, req: Any, subscriber: Subscriber) -> Watch | Refusal:
        mailbox = (subscriber.directory.tenant, subscriber.extension)
        account = f"sip:{subscriber.extension}@{subscriber.realm}"
        return Watch(resource=mailbox, uri=account, limit_key=mailbox)

    def body(self, subscription: Subscription) -> str:
        mailbox: Any = subscription.watch.resource
        return summary_body(subscription.watch.uri, self._counts.get(mailbox, Counts()))

    def set_counts(self, tenant: str, extension: str, new: int, old: int) -> None:
        """A mailbox's counts changed: every phone subscribed to it is told."""
        mailbox = (tenant, extension)
        counts = Counts(new, old)
        if self._counts.get(mailbox, Counts()) == counts:
            return
        self._counts[mailbox] = counts
        self._changed(EVENT, mailbox)

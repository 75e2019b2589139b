"""The users' call services the PBX applies, per (tenant, extension): written by the application
(at start-up and after each committed change), read by the SIP thread on every call to a user.

Each write replaces one immutable `Forwarding` under a lock, and a read is a single dict look-up
(atomic under the GIL), so the SIP thread never waits for the writer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from pbx_core.features.criteria import CallNotice
from pbx_core.features.diversion import NO_SERVICES, Forwarding


def _no_mail(_notice: CallNotice) -> None:
    """No SMTP server configured: CallNotify mails nothing."""


class ServicesTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[tuple[str, str], Forwarding] = {}
        self.call_notify: Callable[[CallNotice], None] = _no_mail
        """CallNotify's mailer (set by the application; called in the SIP thread, so it must
        not block)."""

    def get(self, tenant: str, extension: str) -> Forwarding:
        return self._by_user.get((tenant, extension), NO_SERVICES)

    def put(self, tenant: str, extension: str, services: Forwarding) -> None:
        with self._lock:
            self._by_user[(tenant, extension)] = services

    def replace_tenant(self, tenant: str, services: Iterable[tuple[str, Forwarding]]) -> None:
        """Every user of `tenant` at once (start-up, or after users were added or renumbered)."""
        fresh = dict(services)
        with self._lock:
            kept = {key: value for key, value in self._by_user.items() if key[0] != tenant}
            self._by_user = kept | {(tenant, ext): value for ext, value in fresh.items()}

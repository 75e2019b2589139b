"""Call pickup groups as the PBX applies them (docs/phone-features.md, "Pickup groups"): which
group each user of a tenant is in. Written by the application (at start-up and after each change
of a tenant's groups), read by the SIP thread on every `*98` (one dict look-up, atomic under the
GIL; each write replaces the dict). No SIP here, so the application imports it freely.

The users in no group form the tenant's default group: a tenant without groups picks up
tenant-wide, as before groups existed, and a named group's calls are never picked up from
outside it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping


class PickupGroupsTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, str], str] = {}
        """(tenant, extension) -> the name of the user's group."""

    def replace_tenant(self, tenant: str, groups: Mapping[str, Iterable[str]]) -> None:
        """`groups`: each group's name -> its members' extensions."""
        fresh = {(tenant, m): name for name, members in groups.items() for m in members}
        with self._lock:
            kept = {k: v for k, v in self._groups.items() if k[0] != tenant}
            self._groups = kept | fresh

    def group_of(self, tenant: str, extension: str) -> str | None:
        """The user's group (None: the tenant's default group, of the users in none)."""
        return self._groups.get((tenant, extension))

    def together(self, tenant: str, picker: str, ringing: str) -> bool:
        """`picker` may pick up a call ringing at `ringing` with `*98`: the same group."""
        return self.group_of(tenant, picker) == self.group_of(tenant, ringing)

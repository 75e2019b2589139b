"""The CRM lookup the screen-pop REST endpoint and the `myCalls` subscription call.

`crm_connectors` will provide the real implementation; until then `NoScreenPop` answers
"nothing found" so the API works without a CRM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ScreenPopRecord:
    """One CRM record that matches a phone number, with the URL an agent's browser opens."""

    crm: str
    record_id: str
    name: str
    url: str
    kind: str = "contact"


class ScreenPopLookup(Protocol):
    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        """Records matching `number` (any format; the lookup normalizes), best first."""
        ...


@runtime_checkable
class UserScreenPopLookup(ScreenPopLookup, Protocol):
    """A look-up that also knows the records of one user (its personal contacts)."""

    async def lookup_for(
        self, tenant: str, username: str | None, number: str
    ) -> Sequence[ScreenPopRecord]: ...


async def lookup_as(
    lookup: ScreenPopLookup, tenant: str, username: str | None, number: str
) -> Sequence[ScreenPopRecord]:
    """The records `username` may see for `number` (its personal ones too, where known)."""
    if isinstance(lookup, UserScreenPopLookup):
        return await lookup.lookup_for(tenant, username, number)
    return await lookup.lookup(tenant, number)


class NoScreenPop:
    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        return ()

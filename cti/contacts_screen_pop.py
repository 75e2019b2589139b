"""The contacts directory as a screen-pop source beside the CRM: an offered call whose caller is
one of the agent's personal contacts or in the company directory pops that contact first, then
whatever the CRM knows.

`ContactsScreenPop` wraps the CRM's look-up (cti/product.py). Tenant-wide askers (`lookup`: the
REST screen pop of an API token) get the company directory; a signed-in user (`lookup_for`: the
`myCalls` subscription, the REST screen pop) gets its own personal contacts too, never a
colleague's. A contact pops as one record and, when it names a company, a second of kind
`company` (the agent client shows it as the caller's company).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from common.e164 import to_e164
from cti.screen_pop import ScreenPopLookup, ScreenPopRecord
from provisioning.contacts import Contact, Scope
from provisioning.contacts_store import ContactStore

log = logging.getLogger(__name__)

SOURCE = {Scope.PERSONAL: "personal", Scope.COMPANY: "directory"}
"""The `crm` a contact's record names: where the agent finds it (its own list or the company's)."""


def contact_records(found: Sequence[Contact]) -> list[ScreenPopRecord]:
    records: list[ScreenPopRecord] = []
    for contact in found:
        source = SOURCE[contact.scope]
        records.append(ScreenPopRecord(source, str(contact.id), contact.name, ""))
        if contact.company:
            records.append(
                ScreenPopRecord(source, f"{contact.id}-company", contact.company, "", "company")
            )
    return records


class ContactsScreenPop:
    def __init__(self, store: ContactStore, crm: ScreenPopLookup) -> None:
        self._store = store
        self._crm = crm

    async def lookup(self, tenant: str, number: str) -> Sequence[ScreenPopRecord]:
        return await self.lookup_for(tenant, None, number)

    async def lookup_for(
        self, tenant: str, username: str | None, number: str
    ) -> Sequence[ScreenPopRecord]:
        contacts = await self._contacts(tenant, username, number)
        return [*contacts, *await self._crm.lookup(tenant, number)]

    async def _contacts(
        self, tenant: str, username: str | None, number: str
    ) -> list[ScreenPopRecord]:
        e164 = to_e164(number)
        if e164 is None:
            return []
        try:
            found = await asyncio.to_thread(self._store.by_number, tenant, username, e164)
        except Exception:  # a database hiccup pops no contact; the CRM's records still come
            log.warning("contacts screen pop for %s failed", number, exc_info=True)
            return []
        return contact_records(found)

"""The demo company's directory: a few company contacts so `make demo`'s contacts tab shows the
directory and a call from one of these numbers pops it (docs/contacts.md). Idempotent: seeded
only while the directory is empty, so an admin's changes are kept across restarts."""

from __future__ import annotations

from sqlalchemy import Engine

from provisioning.contacts import ContactSpec, Scope
from provisioning.contacts_store import ContactStore

SEEDED_BY = "demo"
DEMO_CONTACTS = (
    ContactSpec("Facilitair meldpunt", ("+31 85 401 00 00",), "Gebouwbeheer Utrecht",
                "meldpunt@gebouwbeheer.example", "Storingen en sleutels, 24/7"),
    ContactSpec("Koeriersdienst Snel", ("+31 85 401 00 01", "+31 6 4010 0001"), "Snel B.V."),
)  # fmt: skip


def seed_demo_contacts(engine: Engine, tenant: str) -> None:
    store = ContactStore(engine)
    if store.search(tenant, None, limit=1).total == 0:
        store.create_many(tenant, SEEDED_BY, Scope.COMPANY, DEMO_CONTACTS)

"""Contacts of a tenant: the company directory (the admin keeps it, every user reads it) and each
user's personal contacts (only that user reads or changes them). The pure part: the tables, what a
valid contact is, and its numbers normalised to E.164, the key the screen pop looks up.

A contact's numbers are kept twice: as the JSON list shown to users (in the order given) and as
rows of `prov_contact_numbers`, indexed by (tenant, e164), so the screen pop of an incoming call
is one indexed SELECT. `owner` is the user's username for a personal contact, NULL for the
company directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from common.e164 import to_e164
from provisioning.errors import Invalid
from provisioning.models import METADATA, TENANT_ID

MAX_NAME = 200
MAX_EMAIL = 254
MAX_NOTE = 2000
MAX_NUMBERS = 10
OWNER_CHARS = 128
E164_CHARS = 20
SOURCE_UID_CHARS = 1024
SOURCE_ETAG_CHARS = 256
MAX_CONTACTS = 10_000
"""Per user (personal) and per tenant (company directory): an import cannot fill the database."""

contacts = Table(
    "prov_contacts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False),
    Column("owner", String(OWNER_CHARS), nullable=True),
    Column("name", String(MAX_NAME), nullable=False),
    Column("company", String(MAX_NAME), nullable=False),
    Column("email", String(MAX_EMAIL), nullable=False),
    Column("note", Text, nullable=False),
    Column("numbers", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Set on contacts a sync brought in (provisioning/contact_sources.py): the source, the item's
    # id there (a CardDAV href, a Graph id) and its version (ETag, changeKey). NULL: typed or
    # uploaded by a user, which no sync ever changes.
    Column("source_id", Integer, ForeignKey("prov_contact_sources.id"), nullable=True),
    Column("source_uid", String(SOURCE_UID_CHARS), nullable=True),
    Column("source_etag", String(SOURCE_ETAG_CHARS), nullable=True),
    Index("ix_prov_contacts_tenant_owner", "tenant", "owner"),
    Index("ix_prov_contacts_source_id", "source_id"),
)

contact_numbers = Table(
    "prov_contact_numbers",
    METADATA,
    Column(
        "contact_id", Integer, ForeignKey("prov_contacts.id", ondelete="CASCADE"), nullable=False
    ),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("e164", String(E164_CHARS), nullable=False),
    PrimaryKeyConstraint("contact_id", "e164"),
    Index("ix_prov_contact_numbers_tenant_e164", "tenant", "e164"),
)


class Scope(StrEnum):
    PERSONAL = "personal"
    COMPANY = "company"


@dataclass(frozen=True, slots=True)
class ContactSpec:
    """A contact as given (by the API or one import row), before validation."""

    name: str
    numbers: tuple[str, ...]
    company: str = ""
    email: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    scope: Scope
    name: str
    company: str
    numbers: tuple[str, ...]
    email: str
    note: str
    source: int | None = None
    """The contact source it was synced from; None for one typed or uploaded."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validated(spec: ContactSpec) -> ContactSpec:
    """`spec` trimmed, its numbers in E.164 (duplicates dropped); `Invalid` names the bad field."""
    name = spec.name.strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid("name", f"a name of 1 to {MAX_NAME} characters is required")
    company = spec.company.strip()
    if len(company) > MAX_NAME:
        raise Invalid("company", f"at most {MAX_NAME} characters")
    email = spec.email.strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise Invalid("email", f"{email[:60]!r} is no e-mail address")
    note = spec.note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid("note", f"at most {MAX_NOTE} characters")
    if not spec.numbers:
        raise Invalid("numbers", "at least one phone number is required")
    if len(spec.numbers) > MAX_NUMBERS:
        raise Invalid("numbers", f"at most {MAX_NUMBERS} numbers")
    numbers: list[str] = []
    for raw in spec.numbers:
        e164 = to_e164(raw)
        if e164 is None:
            raise Invalid("numbers", f"{raw[:40]!r} is no phone number")
        if e164 not in numbers:
            numbers.append(e164)
    return ContactSpec(name, tuple(numbers), company, email, note)

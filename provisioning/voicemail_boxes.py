"""A voicemail box's own settings (tenant, extension): the voice portal's PIN, stored as a
salted scrypt hash, with the count of wrong tries in a row (at `MAX_WRONG_PINS` the box is
locked for the portal until the user sets a new PIN), and the address messages are mailed to
(docs/voicemail.md). A box without a row has no PIN (the portal stays shut) and no e-mail."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, Engine, ForeignKey, Integer, String, Table, insert, select, update

from provisioning.models import METADATA, TENANT_ID, audit_log, users
from provisioning.users import UserRole

MAX_WRONG_PINS = 5
CALL_PIN_ENTITY = "call_pin"
"""Audit entity of a wrong PIN keyed for an only-with-a-PIN call (docs/trunks.md)."""
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # hex: 97 characters with the salt

voicemail_boxes = Table(
    "prov_voicemail_boxes",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("extension", String(8), primary_key=True),
    Column("pin_hash", String(160), nullable=True),
    Column("wrong_tries", Integer, nullable=False),
    Column("email", String(254), nullable=True),
)
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,}$")


class PinResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    """Too many wrong tries in a row, or no PIN set: the portal stays shut."""


def _hash(pin: str, salt: bytes) -> str:
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"{salt.hex()}${digest.hex()}"


class VoicemailBoxes:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def set_pin(self, tenant: str, extension: str, pin: str) -> None:
        """A new PIN (4-8 digits) also lifts a lock."""
        if not PIN_PATTERN.match(pin):
            raise ValueError("a PIN is 4 to 8 digits")
        self._save(tenant, extension, pin_hash=_hash(pin, secrets.token_bytes(16)), wrong_tries=0)

    def set_email(self, tenant: str, extension: str, address: str | None) -> None:
        """Where new messages are mailed with their audio; None: not mailed."""
        if address is not None and not EMAIL_PATTERN.match(address):
            raise ValueError("not an e-mail address")
        self._save(tenant, extension, email=address)

    def email_of(self, tenant: str, extension: str) -> str | None:
        table = voicemail_boxes
        query = select(table.c.email).where(
            table.c.tenant == tenant, table.c.extension == extension
        )
        with self._engine.connect() as connection:
            address = connection.execute(query).scalar()
        return str(address) if address else None

    def admin_addresses(self, tenant: str) -> list[str]:
        """The e-mail addresses of the tenant's admins: the address each gave its mailbox
        (alerts for the admins go there, cti/tenant_alerts.py), sorted, once each."""
        query = (
            select(users.c.roles, voicemail_boxes.c.email)
            .join(
                voicemail_boxes,
                (voicemail_boxes.c.tenant == users.c.tenant)
                & (voicemail_boxes.c.extension == users.c.extension),
            )
            .where(users.c.tenant == tenant, voicemail_boxes.c.email.is_not(None))
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        admin = UserRole.ADMIN.value
        return sorted({str(r.email) for r in rows if admin in str(r.roles).split(",")})

    def check_for_call(self, tenant: str, extension: str, pin: str, number: str) -> PinResult:
        """The PIN a call to `number` in an only-with-a-PIN category asks for: the portal's,
        with its lock. Each refusal is audited with the number called, never the PIN."""
        result = self.check(tenant, extension, pin)
        if result is not PinResult.OK:
            entry = {
                "at": datetime.now(UTC),
                "actor": f"phone:{extension}",
                "tenant": tenant,
                "entity": CALL_PIN_ENTITY,
                "key": extension,
                "action": result.value,
                "before": None,
                "after": {"number": number},
            }
            with self._engine.begin() as connection:
                connection.execute(insert(audit_log).values(**entry))
        return result

    def announcement_recorder(self, tenant: str, extension: str) -> str | None:
        """The username of the tenant's admin at `extension` (who may record the tenant's
        announcements in the voice portal, as in the admin API); None for any other user."""
        query = select(users.c.username, users.c.roles).where(
            users.c.tenant == tenant, users.c.extension == extension
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or UserRole.ADMIN.value not in str(row.roles).split(","):
            return None
        return str(row.username)

    def _save(self, tenant: str, extension: str, **values: object) -> None:
        table = voicemail_boxes
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(table)
                .where(table.c.tenant == tenant, table.c.extension == extension)
                .values(**values)
            ).rowcount
            if not changed:
                new_box = {"wrong_tries": 0} | values
                connection.execute(
                    table.insert().values(tenant=tenant, extension=extension, **new_box)
                )

    def check(self, tenant: str, extension: str, pin: str) -> PinResult:
        table = voicemail_boxes
        where = (table.c.tenant == tenant, table.c.extension == extension)
        with self._engine.begin() as connection:
            row = connection.execute(
                select(table.c.pin_hash, table.c.wrong_tries).where(*where).with_for_update()
            ).first()
            if row is None or row.pin_hash is None or row.wrong_tries >= MAX_WRONG_PINS:
                return PinResult.LOCKED
            salt_hex, _digest = str(row.pin_hash).split("$", 1)
            if hmac.compare_digest(_hash(pin, bytes.fromhex(salt_hex)), str(row.pin_hash)):
                connection.execute(update(table).where(*where).values(wrong_tries=0))
                return PinResult.OK
            tries = row.wrong_tries + 1
            connection.execute(update(table).where(*where).values(wrong_tries=tries))
        return PinResult.LOCKED if tries >= MAX_WRONG_PINS else PinResult.WRONG

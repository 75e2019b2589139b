"""Activation links: a user imported without a web password sets its own (docs/provisioning.md,
"Activation links").

Each link carries a random 32-byte token (`secrets.token_urlsafe(32)`), handed out once (in the
import's answer, or a new one from the admin) and stored only as its SHA-256: the token has 256
bits of entropy, so a fast hash is as safe as scrypt would be, and checking it costs nothing.
A link works once, within `ACTIVATION_DAYS`, for the user and tenant it was made for; the
password it sets follows the web-password rules (`validate_new_password`) and is hashed once,
then, with the production scrypt. A new link replaces the user's unused ones; deleting the user,
or an admin setting its password, deletes them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from provisioning.errors import Invalid, NotFound
from provisioning.models import METADATA, TENANT_ID, users
from provisioning.unit import Transactions, Unit
from provisioning.users import NO_PASSWORD, validate_password

ACTIVATION_DAYS = 7
ENTITY = "user"
"""A used link changes the user (its web password): the audit and the listeners see a user."""

activations = Table(
    "prov_activations",
    METADATA,
    Column("token_sha256", String(64), primary_key=True),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("username", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_prov_activations_user", "tenant", "username"),
)


@dataclass(frozen=True, slots=True)
class Activation:
    """A link just made: the token is shown here once and never stored."""

    username: str
    token: str
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_new_password(password: str, username: str, name: str) -> None:
    """The web-password rules, and what a user choosing its own must not pick: its username or
    name, or one character repeated."""
    validate_password(password, "password")
    lowered = password.lower()
    if username.lower() in lowered or (name.strip() and name.lower() in lowered):
        raise Invalid("password", "must not contain the username or the name")
    if len(set(password)) < 4:
        raise Invalid("password", "too simple: use at least 4 different characters")


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def issue(unit: Unit, usernames: Sequence[str], now: datetime) -> list[Activation]:
    """New links for `usernames` of the unit's tenant, in the unit's transaction; a user's older
    unused links stop working."""
    if not usernames:
        return []
    made = [
        Activation(name, secrets.token_urlsafe(32), now + timedelta(days=ACTIVATION_DAYS))
        for name in usernames
    ]
    connection = unit.connection
    forget(connection, unit.tenant, usernames)
    rows = [
        {
            "token_sha256": digest(a.token),
            "tenant": unit.tenant,
            "username": a.username,
            "created_at": now,
            "expires_at": a.expires_at,
        }
        for a in made
    ]
    connection.execute(insert(activations), rows)
    return made


def forget(connection: Connection, tenant: str, usernames: Sequence[str]) -> None:
    connection.execute(
        delete(activations).where(
            activations.c.tenant == tenant, activations.c.username.in_(usernames)
        )
    )


class Activations:
    def __init__(
        self,
        transactions: Transactions,
        hash_password: Callable[[str], str],
        now: Callable[[], datetime],
    ) -> None:
        self._tx = transactions
        self._hash = hash_password
        self._now = now

    def reissue(self, actor: str, tenant: str, username: str) -> Activation:
        """A new link for a user (the old one lost or expired), by its admin."""
        with self._tx.change(actor, tenant) as unit:
            found = unit.connection.execute(
                select(users.c.id).where(users.c.tenant == tenant, users.c.username == username)
            ).first()
            if found is None:
                raise NotFound("username", f"no user {username!r}")
            (made,) = issue(unit, [username], unit.at)
            unit.record(ENTITY, username, "update", None, {"activation_link": "issued"})
        return made

    def activate(self, tenant: str, token: str, password: str) -> str:
        """Set the web password of the link's user; its username. Every refusal of the link
        itself (unknown, used, expired, another tenant's) is the same NotFound on `token`, so
        the answer tells a guesser nothing."""
        refused = NotFound("token", "no such activation link, or it was used or has expired")
        now = self._now()
        with self._tx.engine.connect() as connection:
            link = connection.execute(
                select(activations).where(activations.c.token_sha256 == digest(token))
            ).first()
            if link is None or link.tenant != tenant or _aware(link.expires_at) <= now:
                raise refused
            user = connection.execute(
                select(users.c.name, users.c.password_hash).where(
                    users.c.tenant == tenant, users.c.username == link.username
                )
            ).first()
        if user is None:
            raise refused
        validate_new_password(password, link.username, user.name)
        hashed = self._hash(password)  # scrypt, outside the transaction
        with self._tx.change(link.username, tenant) as unit:
            # Claimed in the transaction: of two requests with one token, one deletes the row.
            claimed = unit.connection.execute(
                delete(activations).where(activations.c.token_sha256 == link.token_sha256)
            )
            if claimed.rowcount != 1:
                raise refused
            unit.connection.execute(
                update(users)
                .where(users.c.tenant == tenant, users.c.username == link.username)
                .values(password_hash=hashed)
            )
            forget(unit.connection, tenant, [link.username])
            before = {"web_sign_in": user.password_hash != NO_PASSWORD}
            unit.record(ENTITY, link.username, "update", before, {"web_sign_in": True})
        return str(link.username)

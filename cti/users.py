"""Sign-in accounts that are not a tenant's provisioned users (the platform operators,
`name@tenant` service accounts) and the CRM plugins' API tokens: the shell over
`provisioning.accounts`, whose tables live in the provisioning database with its migrations
(docs/provisioning.md, "One user store"). Here the passwords are hashed and checked
(cti.passwords) and an account becomes a `Principal`.

Sync SQLAlchemy on purpose: logins and token management are rare, and FastAPI runs sync work in
its thread pool. `UserDirectory.create_tables()` brings the provisioning schema up to date.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from common.database_url import engine_url
from cti.passwords import (
    PRODUCTION_COST,
    ScryptCost,
    hash_password,
    needs_rehash,
    verify_password,
)
from cti.principal import Principal, Role
from provisioning.accounts import Accounts, ApiTokenInfo
from provisioning.db import migrate

API_TOKEN_PREFIX = "occ_"


def make_engine(database_url: str) -> Engine:
    if database_url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection, or every thread would see its own empty in-memory database.
        return create_engine(
            database_url, connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    if database_url.startswith("sqlite"):
        database = make_url(database_url).database
        if database:  # the embedded default lives under ./var/, which may not exist yet
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(database_url, connect_args={"check_same_thread": False})
    # A host list (primary, replica) is followed through a promotion: docs/deploy.md.
    return create_engine(engine_url(database_url), pool_pre_ping=True)


@dataclass(frozen=True, slots=True)
class NewApiToken:
    info: ApiTokenInfo
    token: str
    """Shown once; only its SHA-256 is stored."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class UserDirectory:
    def __init__(self, engine: Engine, cost: ScryptCost = PRODUCTION_COST) -> None:
        self._engine = engine
        self._accounts = Accounts(engine)
        self._cost = cost
        # Checked against when a username is unknown: one scrypt run at this directory's cost,
        # exactly what a known username costs (hashing a fresh one there doubled the work).
        self._decoy = hash_password("decoy", cost)

    def create_tables(self) -> None:
        """Migrate the provisioning schema, which holds the accounts (idempotent; start-up)."""
        migrate(self._engine)

    def add_user(
        self,
        tenant: str,
        username: str,
        password: str,
        role: Role,
        *,
        extension: str | None = None,
        display_name: str = "",
        call_centers: Iterable[str] = (),
    ) -> int:
        """Create an account, or update it (password, role, supervision) when it exists."""
        hashed = hash_password(password, self._cost)
        return self._accounts.put(
            tenant,
            username,
            hashed,
            role.value,
            extension=extension,
            display_name=display_name,
            call_centers=call_centers,
        )

    def remove_user(self, tenant: str, username: str) -> None:
        self._accounts.remove(tenant, username)

    def authenticate(self, tenant: str, username: str, password: str) -> Principal | None:
        account = self._accounts.find(tenant, username)
        if account is None:
            # Same work as a real check, so timing does not tell which usernames exist.
            verify_password(password, self._decoy)
            return None
        if not verify_password(password, account.password_hash):
            return None
        if needs_rehash(account.password_hash, self._cost):  # an older installation's cheaper hash
            self._accounts.set_password_hash(account.id, hash_password(password, self._cost))
        return Principal(
            tenant=account.tenant,
            username=account.username,
            role=Role(account.role),
            extension=account.extension,
            call_centers=account.call_centers,
        )

    def tenants(self) -> list[str]:
        return self._accounts.tenants()

    def usernames_with_role(self, role: Role) -> list[str]:
        """Every account holding `role`, as `name@tenant`, in order."""
        return self._accounts.with_role(role.value)

    def exists(self, tenant: str, username: str) -> bool:
        return self._accounts.find(tenant, username) is not None

    # API tokens for CRM plugins.
    def create_api_token(self, tenant: str, name: str, created_by: str) -> NewApiToken:
        secret = secrets.token_urlsafe(32)
        info = self._accounts.create_api_token(
            tenant, name, _sha256(secret), created_by, time.time()
        )
        return NewApiToken(info=info, token=f"{API_TOKEN_PREFIX}{info.id}_{secret}")

    def list_api_tokens(self, tenant: str) -> list[ApiTokenInfo]:
        return self._accounts.api_tokens(tenant)

    def revoke_api_token(self, tenant: str, token_id: int) -> bool:
        return self._accounts.revoke_api_token(tenant, token_id, time.time())

    def principal_for_api_token(self, token: str) -> Principal | None:
        if not token.startswith(API_TOKEN_PREFIX):
            return None
        token_id_text, _, secret = token[len(API_TOKEN_PREFIX) :].partition("_")
        if not token_id_text.isdigit() or not secret:
            return None
        stored = self._accounts.api_token(int(token_id_text))
        if stored is None or stored.info.revoked:
            return None
        if not secrets.compare_digest(stored.secret_sha256, _sha256(secret)):
            return None
        return Principal(
            tenant=stored.info.tenant,
            username=f"api:{stored.info.name}",
            role=Role.API,
            api_token_id=stored.info.id,
        )


DEMO_TENANT = "demo"
DEMO_CALL_CENTERS = ("7001", "7002", "7003")
SUPERVISOR_EXTENSION = "1100"
"""The demo supervisor's own phone: it listens in and takes retrieved calls from there."""


def seed_demo_users(directory: UserDirectory, tenant: str = DEMO_TENANT) -> None:
    """The demo company's users (contract.md): agents 1001-1010, a supervisor, an admin."""
    directory.create_tables()
    for number in range(1001, 1011):
        extension = str(number)
        directory.add_user(
            tenant,
            extension,
            f"pw{extension}",
            Role.AGENT,
            extension=extension,
            display_name=f"Agent {extension}",
        )
    directory.add_user(
        tenant,
        "supervisor",
        "pwsupervisor",
        Role.SUPERVISOR,
        extension=SUPERVISOR_EXTENSION,
        display_name="Supervisor",
        call_centers=DEMO_CALL_CENTERS,
    )
    directory.add_user(tenant, "admin", "pwadmin", Role.ADMIN, display_name="Administrator")

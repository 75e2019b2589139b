"""Sign-in accounts that are not a tenant's users, and the API tokens, in the provisioning
database (docs/provisioning.md, "One user store"): the platform operators (above the tenants)
and `name@tenant` service accounts; the CRM plugins' API tokens of each tenant.

SQL only: the password hash is made and checked by the shell (cti.users, with cti.passwords),
the token secret is given as its SHA-256. Tables `prov_accounts`, `prov_account_call_centers`
(the call centers a supervisor account supervises) and `prov_api_tokens` (Alembic revision
`oneuser`, which copies an older installation's `cti_users` rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)

from provisioning.models import METADATA

accounts = Table(
    "prov_accounts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("username", String(128), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("extension", String(32), nullable=True),
    Column("display_name", String(128), nullable=False, default=""),
    UniqueConstraint("tenant", "username", name="uq_prov_accounts_tenant_username"),
)

account_call_centers = Table(
    "prov_account_call_centers",
    METADATA,
    Column("account_id", ForeignKey("prov_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("call_center_id", String(32), primary_key=True),
)

api_tokens = Table(
    "prov_api_tokens",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    id: int
    tenant: str
    username: str
    password_hash: str
    role: str
    extension: str | None
    call_centers: frozenset[str]


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    tenant: str
    name: str
    created_by: str
    created_at: float
    revoked: bool


@dataclass(frozen=True, slots=True)
class StoredApiToken:
    info: ApiTokenInfo
    secret_sha256: str


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(
        self,
        tenant: str,
        username: str,
        password_hash: str,
        role: str,
        *,
        extension: str | None,
        display_name: str,
        call_centers: Iterable[str],
    ) -> int:
        """Create an account, or replace its password, role and supervision when it exists."""
        values = {
            "password_hash": password_hash,
            "role": role,
            "extension": extension,
            "display_name": display_name,
        }
        with self._engine.begin() as conn:
            existing = conn.execute(
                select(accounts.c.id).where(
                    accounts.c.tenant == tenant, accounts.c.username == username
                )
            ).scalar_one_or_none()
            if existing is None:
                inserted = conn.execute(
                    insert(accounts).values(tenant=tenant, username=username, **values)
                )
                account_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            else:
                account_id = int(existing)
                conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))
            conn.execute(
                delete(account_call_centers).where(account_call_centers.c.account_id == account_id)
            )
            rows = [{"account_id": account_id, "call_center_id": cc} for cc in call_centers]
            if rows:
                conn.execute(insert(account_call_centers), rows)
        return account_id

    def remove(self, tenant: str, username: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(accounts).where(accounts.c.tenant == tenant, accounts.c.username == username)
            )

    def find(self, tenant: str, username: str) -> StoredAccount | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(accounts).where(accounts.c.tenant == tenant, accounts.c.username == username)
            ).one_or_none()
            if row is None:
                return None
            supervised = conn.execute(
                select(account_call_centers.c.call_center_id).where(
                    account_call_centers.c.account_id == row.id
                )
            ).scalars()
            return StoredAccount(
                row.id,
                row.tenant,
                row.username,
                row.password_hash,
                row.role,
                row.extension,
                frozenset(supervised),
            )

    def set_password_hash(self, account_id: int, password_hash: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash)
            )

    def tenants(self) -> list[str]:
        with self._engine.connect() as conn:
            return sorted(conn.execute(select(accounts.c.tenant).distinct()).scalars())

    def with_role(self, role: str) -> list[str]:
        """Every account holding `role`, as `name@tenant`, in order."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(accounts.c.username, accounts.c.tenant).where(accounts.c.role == role)
            )
            return sorted(f"{row.username}@{row.tenant}" for row in rows)

    def create_api_token(
        self, tenant: str, name: str, secret_sha256: str, created_by: str, at: float
    ) -> ApiTokenInfo:
        with self._engine.begin() as conn:
            inserted = conn.execute(
                insert(api_tokens).values(
                    tenant=tenant,
                    name=name,
                    secret_sha256=secret_sha256,
                    created_by=created_by,
                    created_at=at,
                )
            )
        token_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
        return ApiTokenInfo(token_id, tenant, name, created_by, at, revoked=False)

    def api_tokens(self, tenant: str) -> list[ApiTokenInfo]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(api_tokens).where(api_tokens.c.tenant == tenant).order_by(api_tokens.c.id)
            ).all()
        return [
            ApiTokenInfo(
                r.id, r.tenant, r.name, r.created_by, r.created_at, r.revoked_at is not None
            )
            for r in rows
        ]

    def revoke_api_token(self, tenant: str, token_id: int, at: float) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                update(api_tokens)
                .where(
                    api_tokens.c.id == token_id,
                    api_tokens.c.tenant == tenant,
                    api_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=at)
            )
        return result.rowcount > 0

    def api_token(self, token_id: int) -> StoredApiToken | None:
        with self._engine.connect() as conn:
            r = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).one_or_none()
        if r is None:
            return None
        info = ApiTokenInfo(
            r.id, r.tenant, r.name, r.created_by, r.created_at, r.revoked_at is not None
        )
        return StoredApiToken(info, r.secret_sha256)

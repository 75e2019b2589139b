"""Users, supervision and API tokens in SQL (SQLAlchemy 2, a MetaData of cti's own).

Sync SQLAlchemy on purpose: logins and token management are rare, and FastAPI runs sync work in
its thread pool. The Alembic migrations in `users_migrations/` build the tables, with their own
version table; `UserDirectory.create_tables()` brings a database up to date.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from common.migrations import MigratedSchema, upgrade
from cti.passwords import (
    PRODUCTION_COST,
    ScryptCost,
    hash_password,
    needs_rehash,
    verify_password,
)
from cti.principal import Principal, Role

metadata = MetaData()

users = Table(
    "cti_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("username", String(128), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("extension", String(32), nullable=True),
    Column("display_name", String(128), nullable=False, default=""),
    UniqueConstraint("tenant", "username", name="uq_cti_users_tenant_username"),
)

supervised_call_centers = Table(
    "cti_supervised_call_centers",
    metadata,
    Column("user_id", ForeignKey("cti_users.id", ondelete="CASCADE"), primary_key=True),
    Column("call_center_id", String(32), primary_key=True),
)

api_tokens = Table(
    "cti_api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

SCHEMA = MigratedSchema(
    name="users",
    metadata=metadata,
    migrations=Path(__file__).parent / "users_migrations",
    version_table="cti_users_alembic_version",
    # Before Alembic, `create_tables()` was `metadata.create_all`: those tables are revision 0001.
    adopt_at="0001",
)

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
    return create_engine(database_url, pool_pre_ping=True)


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    tenant: str
    name: str
    created_by: str
    created_at: float
    revoked: bool


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
        self._cost = cost
        # Checked against when a username is unknown: one scrypt run at this directory's cost,
        # exactly what a known username costs (hashing a fresh one there doubled the work).
        self._decoy = hash_password("decoy", cost)

    def create_tables(self) -> None:
        """Migrate the users tables to the newest revision (idempotent; run at start-up)."""
        upgrade(SCHEMA, self._engine)

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
        """Create a user, or update it (password, role, supervision) when it exists."""
        hashed = hash_password(password, self._cost)
        with self._engine.begin() as conn:
            existing = conn.execute(
                select(users.c.id).where(users.c.tenant == tenant, users.c.username == username)
            ).scalar_one_or_none()
            values = {
                "password_hash": hashed,
                "role": role.value,
                "extension": extension,
                "display_name": display_name,
            }
            if existing is None:
                user_id = int(
                    conn.execute(
                        insert(users).values(tenant=tenant, username=username, **values)
                    ).inserted_primary_key[0]  # type: ignore[index]
                )
            else:
                user_id = int(existing)
                conn.execute(update(users).where(users.c.id == user_id).values(**values))
            conn.execute(
                delete(supervised_call_centers).where(supervised_call_centers.c.user_id == user_id)
            )
            rows = [{"user_id": user_id, "call_center_id": cc} for cc in call_centers]
            if rows:
                conn.execute(insert(supervised_call_centers), rows)
        return user_id

    def remove_user(self, tenant: str, username: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(users).where(users.c.tenant == tenant, users.c.username == username)
            )

    def _store_password(self, user_id: int, password: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=hash_password(password, self._cost))
            )

    def authenticate(self, tenant: str, username: str, password: str) -> Principal | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users).where(users.c.tenant == tenant, users.c.username == username)
            ).one_or_none()
            if row is None:
                # Same work as a real check, so timing does not tell which usernames exist.
                verify_password(password, self._decoy)
                return None
            if not verify_password(password, row.password_hash):
                return None
            if needs_rehash(row.password_hash, self._cost):
                self._store_password(row.id, password)  # an older installation's cheaper hash
            supervised = conn.execute(
                select(supervised_call_centers.c.call_center_id).where(
                    supervised_call_centers.c.user_id == row.id
                )
            ).scalars()
            return Principal(
                tenant=row.tenant,
                username=row.username,
                role=Role(row.role),
                extension=row.extension,
                call_centers=frozenset(supervised),
            )

    def tenants(self) -> list[str]:
        with self._engine.connect() as conn:
            return sorted(conn.execute(select(users.c.tenant).distinct()).scalars())

    def usernames_with_role(self, role: Role) -> list[str]:
        """Every account holding `role`, as `name@tenant`, in order."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(users.c.username, users.c.tenant).where(users.c.role == role.value)
            )
            return sorted(f"{row.username}@{row.tenant}" for row in rows)

    def exists(self, tenant: str, username: str) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(users.c.id).where(users.c.tenant == tenant, users.c.username == username)
            ).first()
            return found is not None

    # API tokens for CRM plugins.
    def create_api_token(self, tenant: str, name: str, created_by: str) -> NewApiToken:
        secret = secrets.token_urlsafe(32)
        now = time.time()
        with self._engine.begin() as conn:
            token_id = int(
                conn.execute(
                    insert(api_tokens).values(
                        tenant=tenant,
                        name=name,
                        secret_sha256=_sha256(secret),
                        created_by=created_by,
                        created_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        info = ApiTokenInfo(token_id, tenant, name, created_by, now, revoked=False)
        return NewApiToken(info=info, token=f"{API_TOKEN_PREFIX}{token_id}_{secret}")

    def list_api_tokens(self, tenant: str) -> list[ApiTokenInfo]:
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

    def revoke_api_token(self, tenant: str, token_id: int) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                update(api_tokens)
                .where(
                    api_tokens.c.id == token_id,
                    api_tokens.c.tenant == tenant,
                    api_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=time.time())
            )
        return result.rowcount > 0

    def principal_for_api_token(self, token: str) -> Principal | None:
        if not token.startswith(API_TOKEN_PREFIX):
            return None
        token_id_text, _, secret = token[len(API_TOKEN_PREFIX) :].partition("_")
        if not token_id_text.isdigit() or not secret:
            return None
        with self._engine.connect() as conn:
            row = conn.execute(
                select(api_tokens).where(api_tokens.c.id == int(token_id_text))
            ).one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        if not secrets.compare_digest(row.secret_sha256, _sha256(secret)):
            return None
        return Principal(
            tenant=row.tenant, username=f"api:{row.name}", role=Role.API, api_token_id=row.id
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

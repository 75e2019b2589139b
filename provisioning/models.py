"""The provisioning schema (SQLAlchemy Core); Alembic migrations in provisioning/migrations.

Every table is prefixed `prov_` and the migrations keep their own version table, so the schema
lives beside cti's and the reports' in one database. Passwords are stored only as hashes (web:
scrypt string; SIP: digest HA1 values for the tenant's realm).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TENANT_ID = 64


def _tenant_column() -> Column[str]:
    return Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), nullable=False)


tenants = Table(
    "prov_tenants",
    METADATA,
    Column("id", String(TENANT_ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sip_domain", String(253), nullable=False, unique=True),
    Column("time_zone", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("main_number", String(16), nullable=True),
    Column("contract_start", Date, nullable=False),
    Column("contract_months", Integer, nullable=False),
    Column("contract_profiles", Integer, nullable=False),
)

users = Table(
    "prov_users",
    METADATA,
    Column("id", Integer, primary_key=True),
    _tenant_column(),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("extension", String(8), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("sip_ha1_md5", String(32), nullable=False),
    Column("sip_ha1_sha256", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("roles", String(64), nullable=False),
    Column("profile", String(32), nullable=False),
    Column("call_center_licence", String(16), nullable=True),
    Column("supervisor_licence", Boolean, nullable=False),
    Column("receptionist_licence", String(16), nullable=True),
    Column("recording_mode", String(16), nullable=True),
    UniqueConstraint("tenant", "extension"),
)

contract_years = Table(
    "prov_contract_years",
    METADATA,
    Column("tenant", String(TENANT_ID), ForeignKey("prov_tenants.id"), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("profiles_at_start", Integer, nullable=False),
    Column("reductions", Integer, nullable=False),
)

number_blocks = Table(
    "prov_number_blocks",
    METADATA,
    Column("id", Integer, primary_key=True),
    _tenant_column(),
    Column("first", String(16), nullable=False, unique=True),
    Column("size", Integer, nullable=False),
    Column("first_value", BigInteger, nullable=False),
    Column("last_value", BigInteger, nullable=False),
)

numbers = Table(
    "prov_numbers",
    METADATA,
    Column("number", String(16), primary_key=True),
    _tenant_column(),
    # A number of the numbering plan, or `voicemail:<extension>` (migration `numdest`).
    Column("destination", String(24), nullable=False),
)

call_centers = Table(
    "prov_call_centers",
    METADATA,
    Column("id", Integer, primary_key=True),
    _tenant_column(),
    Column("number", String(8), nullable=False),
    Column("settings", JSON, nullable=False),
    UniqueConstraint("tenant", "number"),
)

schedules = Table(
    "prov_schedules",
    METADATA,
    Column("id", Integer, primary_key=True),
    _tenant_column(),
    Column("kind", String(16), nullable=False),
    Column("name", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("tenant", "kind", "name"),
)

audit_log = Table(
    "prov_audit_log",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("tenant", String(TENANT_ID), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("key", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Index("ix_prov_audit_log_tenant_id", "tenant", "id"),
)

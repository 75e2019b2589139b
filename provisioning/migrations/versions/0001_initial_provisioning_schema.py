"""initial provisioning schema

Revision ID: 0001
Revises:
Create Date: 2026-12-06 20:49:43.521048
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_audit_log")),
    )
    with op.batch_alter_table("prov_audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_prov_audit_log_tenant_id", ["tenant", "id"], unique=False)

    op.create_table(
        "prov_tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sip_domain", sa.String(length=253), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("main_number", sa.String(length=16), nullable=True),
        sa.Column("contract_start", sa.Date(), nullable=False),
        sa.Column("contract_months", sa.Integer(), nullable=False),
        sa.Column("contract_profiles", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_tenants")),
        sa.UniqueConstraint("sip_domain", name=op.f("uq_prov_tenants_sip_domain")),
    )
    op.create_table(
        "prov_call_centers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_call_centers_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_call_centers")),
        sa.UniqueConstraint("tenant", "number", name=op.f("uq_prov_call_centers_tenant")),
    )
    op.create_table(
        "prov_contract_years",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("profiles_at_start", sa.Integer(), nullable=False),
        sa.Column("reductions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_contract_years_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "year", name=op.f("pk_prov_contract_years")),
    )
    op.create_table(
        "prov_number_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("first", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("first_value", sa.BigInteger(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_number_blocks_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_number_blocks")),
        sa.UniqueConstraint("first", name=op.f("uq_prov_number_blocks_first")),
    )
    op.create_table(
        "prov_numbers",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_numbers_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_prov_numbers")),
    )
    op.create_table(
        "prov_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_schedules_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_schedules")),
        sa.UniqueConstraint("tenant", "kind", "name", name=op.f("uq_prov_schedules_tenant")),
    )
    op.create_table(
        "prov_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("sip_ha1_md5", sa.String(length=32), nullable=False),
        sa.Column("sip_ha1_sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("roles", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=32), nullable=False),
        sa.Column("call_center_licence", sa.String(length=16), nullable=True),
        sa.Column("supervisor_licence", sa.Boolean(), nullable=False),
        sa.Column("receptionist_licence", sa.String(length=16), nullable=True),
        sa.Column("recording_mode", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_users_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_users")),
        sa.UniqueConstraint("tenant", "extension", name=op.f("uq_prov_users_tenant")),
        sa.UniqueConstraint("username", name=op.f("uq_prov_users_username")),
    )


def downgrade() -> None:
    op.drop_table("prov_users")
    op.drop_table("prov_schedules")
    op.drop_table("prov_numbers")
    op.drop_table("prov_number_blocks")
    op.drop_table("prov_contract_years")
    op.drop_table("prov_call_centers")
    op.drop_table("prov_tenants")
    with op.batch_alter_table("prov_audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_prov_audit_log_tenant_id")

    op.drop_table("prov_audit_log")

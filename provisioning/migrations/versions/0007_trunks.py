"""outgoing calling plans of tenants and users, carrier trunks

Revision ID: trunks
Revises: voicemail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "trunks"
down_revision: str | None = "voicemail"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_calling_plans",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("denied", sa.JSON(), nullable=True),
        sa.Column("hide_number", sa.Boolean(), nullable=False),
        sa.Column("reject_anonymous", sa.Boolean(), nullable=False),
        sa.Column("max_external_calls", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_calling_plans_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "username", name=op.f("pk_prov_calling_plans")),
    )

    op.create_table(
        "prov_trunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("inbound", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=True),
        sa.Column("password", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_trunks_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_trunks")),
    )


def downgrade() -> None:
    op.drop_table("prov_trunks")
    op.drop_table("prov_calling_plans")

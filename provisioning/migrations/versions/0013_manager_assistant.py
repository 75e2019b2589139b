"""Manager/Assistant (seed 3.2.2): managers, their assistants and their call filtering

Revision ID: manager_assistant
Revises: hoteling
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "manager_assistant"
down_revision: str | None = "hoteling"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_ma_managers",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("filtering", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_ma_managers_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "extension", name=op.f("pk_prov_ma_managers")),
    )
    op.create_table(
        "prov_ma_assistants",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("manager", sa.String(length=8), nullable=False),
        sa.Column("assistant", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_ma_assistants_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "manager", "assistant", name=op.f("pk_prov_ma_assistants")
        ),
    )


def downgrade() -> None:
    op.drop_table("prov_ma_assistants")
    op.drop_table("prov_ma_managers")

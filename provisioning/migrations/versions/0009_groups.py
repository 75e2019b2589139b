"""hunt groups and auto attendants (group services)

Revision ID: groups
Revises: trunkreg
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "groups"
down_revision: str | None = "trunkreg"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_group_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_group_services_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_group_services")),
        sa.UniqueConstraint("tenant", "number", name=op.f("uq_prov_group_services_tenant")),
    )


def downgrade() -> None:
    op.drop_table("prov_group_services")

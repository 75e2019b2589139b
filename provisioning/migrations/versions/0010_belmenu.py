"""Bel-me-nu web callback buttons

Revision ID: belmenu
Revises: groups
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "belmenu"
down_revision: str | None = "groups"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_belmenu_buttons",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("destination", sa.String(length=8), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("international", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_belmenu_buttons_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_belmenu_buttons")),
    )


def downgrade() -> None:
    op.drop_table("prov_belmenu_buttons")

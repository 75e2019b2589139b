"""InterceptUser: one user's intercept (ch. 7), the tenant intercept's settings per user

Revision ID: intercept_user
Revises: pickgrp
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "intercept_user"
down_revision: str | None = "pickgrp"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_user_intercepts",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("announcement", sa.String(length=80), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("alternate", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_user_intercepts_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "username", name=op.f("pk_prov_user_intercepts")),
    )


def downgrade() -> None:
    op.drop_table("prov_user_intercepts")

"""call pickup groups: a tenant's named groups and their members, a user in at most one;
each user's intercom (PushToTalk) and barge-in exemption choice

Revision ID: pickgrp
Revises: activate
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "pickgrp"
down_revision: str | None = "activate"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_pickup_groups",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_pickup_groups_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "name", name=op.f("pk_prov_pickup_groups")),
    )
    op.create_table(
        "prov_pickup_group_members",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_pickup_group_members_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "extension", name=op.f("pk_prov_pickup_group_members")),
    )
    op.create_table(
        "prov_intercom",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("accept", sa.Boolean(), nullable=False),
        sa.Column("allowed", sa.JSON(), nullable=False),
        sa.Column("barge_in_exempt", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_intercom_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "extension", name=op.f("pk_prov_intercom")),
    )


def downgrade() -> None:
    op.drop_table("prov_intercom")
    op.drop_table("prov_pickup_group_members")
    op.drop_table("prov_pickup_groups")

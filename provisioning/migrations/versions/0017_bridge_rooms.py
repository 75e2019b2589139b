"""conference bridge rooms and the tenant's licence of participants (docs/conference.md)

Revision ID: bridge_rooms
Revises: incoming_intercept
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "bridge_rooms"
down_revision: str | None = "incoming_intercept"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_bridge_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("pin", sa.String(length=8), nullable=False),
        sa.Column("moderator_pin", sa.String(length=8), nullable=False),
        sa.Column("max_participants", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_bridge_rooms_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_bridge_rooms")),
        sa.UniqueConstraint("tenant", "number", name=op.f("uq_prov_bridge_rooms_tenant")),
    )
    op.create_table(
        "prov_bridge_licences",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_bridge_licences_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_prov_bridge_licences")),
    )


def downgrade() -> None:
    op.drop_table("prov_bridge_licences")
    op.drop_table("prov_bridge_rooms")

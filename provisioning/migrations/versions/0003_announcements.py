"""announcements: a tenant's uploaded recordings (provisioning/announcement_store.py)

Revision ID: announcements
Revises: user_services
Create Date: 2026-12-06 23:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "announcements"
down_revision: str | None = "user_services"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_announcements_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_announcements")),
        sa.UniqueConstraint("tenant", "name", name=op.f("uq_prov_announcements_tenant")),
    )


def downgrade() -> None:
    op.drop_table("prov_announcements")

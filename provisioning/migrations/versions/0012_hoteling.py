"""Hoteling (Flexplek, seed 3.2.1): hosts and guest sessions

Revision ID: hoteling
Revises: contacts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "hoteling"
down_revision: str | None = "contacts"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_hoteling_hosts",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("max_minutes", sa.Integer(), nullable=False),
        sa.Column("wrong_pins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["prov_tenants.id"], name=op.f("fk_prov_hoteling_hosts_tenant_prov_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant", "extension", name=op.f("pk_prov_hoteling_hosts")),
    )
    op.create_table(
        "prov_hoteling_sessions",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=8), nullable=False),
        sa.Column("guest", sa.String(length=8), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_hoteling_sessions_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "host", name=op.f("pk_prov_hoteling_sessions")),
        sa.UniqueConstraint("tenant", "guest", name="uq_prov_hoteling_sessions_guest"),
    )


def downgrade() -> None:
    op.drop_table("prov_hoteling_sessions")
    op.drop_table("prov_hoteling_hosts")

"""crmreports: CRM connections (sealed credentials, health) and report schedules

Revision ID: crmreports
Revises: announcements
Create Date: 2026-12-06 23:38:10.071357
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "crmreports"
down_revision: str | None = "announcements"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_crm_connections",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("health", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_crm_connections_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "name", name=op.f("pk_prov_crm_connections")),
    )
    op.create_table(
        "prov_report_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("report", sa.String(length=16), nullable=False),
        sa.Column("call_centers", sa.JSON(), nullable=False),
        sa.Column("agents", sa.JSON(), nullable=True),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_report_schedules_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_report_schedules")),
    )
    with op.batch_alter_table("prov_report_schedules", schema=None) as batch_op:
        batch_op.create_index("ix_prov_report_schedules_tenant", ["tenant"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prov_report_schedules", schema=None) as batch_op:
        batch_op.drop_index("ix_prov_report_schedules_tenant")

    op.drop_table("prov_report_schedules")
    op.drop_table("prov_crm_connections")

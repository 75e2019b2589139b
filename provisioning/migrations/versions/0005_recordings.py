"""call recordings: catalogue, retention per tenant, access log

Revision ID: recordings
Revises: crmreports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "recordings"
down_revision: str | None = "crmreports"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=8), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("called", sa.String(length=64), nullable=False),
        sa.Column("call_center", sa.String(length=8), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("audio", sa.String(length=512), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_recordings_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_recordings")),
        sa.UniqueConstraint("tenant", "call_id", name=op.f("uq_prov_recordings_tenant")),
    )
    op.create_index("ix_prov_recordings_tenant_ended_at", "prov_recordings", ["tenant", "ended_at"])
    op.create_table(
        "prov_recording_retention",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_recording_retention_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_prov_recording_retention")),
    )
    op.create_table(
        "prov_recording_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_recording_access")),
    )
    op.create_index(
        "ix_prov_recording_access_tenant_recording_id",
        "prov_recording_access",
        ["tenant", "recording_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_prov_recording_access_tenant_recording_id", "prov_recording_access")
    op.drop_table("prov_recording_access")
    op.drop_table("prov_recording_retention")
    op.drop_index("ix_prov_recordings_tenant_ended_at", "prov_recordings")
    op.drop_table("prov_recordings")

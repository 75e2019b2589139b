"""voicemail messages and boxes (PIN, e-mail)

Revision ID: voicemail
Revises: recordings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "voicemail"
down_revision: str | None = "recordings"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_voicemail_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("caller_name", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("audio_file", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_voicemail_messages_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prov_voicemail_messages")),
    )
    op.create_index(
        "ix_prov_voicemail_messages_box",
        "prov_voicemail_messages",
        ["tenant", "extension", "received_at"],
        unique=False,
    )
    op.create_table(
        "prov_voicemail_boxes",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("pin_hash", sa.String(length=160), nullable=True),
        sa.Column("wrong_tries", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"],
            ["prov_tenants.id"],
            name=op.f("fk_prov_voicemail_boxes_tenant_prov_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant", "extension", name=op.f("pk_prov_voicemail_boxes")),
    )


def downgrade() -> None:
    op.drop_table("prov_voicemail_boxes")
    op.drop_index("ix_prov_voicemail_messages_box", table_name="prov_voicemail_messages")
    op.drop_table("prov_voicemail_messages")

"""initial users schema (the tables create_all made)

Revision ID: 0001
Revises:
Create Date: 2026-12-06 20:36:14.289759
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "cti_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cti_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "username", name="uq_cti_users_tenant_username"),
    )
    op.create_table(
        "cti_supervised_call_centers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("call_center_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["cti_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "call_center_id"),
    )


def downgrade() -> None:
    op.drop_table("cti_supervised_call_centers")
    op.drop_table("cti_users")
    op.drop_table("cti_api_tokens")

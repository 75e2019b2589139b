"""activation links: an imported user sets its own web password (issue 14)

Revision ID: activate
Revises: oneuser
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "activate"
down_revision: str | None = "oneuser"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_activations",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    op.create_index("ix_prov_activations_user", "prov_activations", ["tenant", "username"])


def downgrade() -> None:
    op.drop_index("ix_prov_activations_user", table_name="prov_activations")
    op.drop_table("prov_activations")

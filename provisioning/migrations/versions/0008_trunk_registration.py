"""carrier trunks that register to their carrier (issue 15.1)

Revision ID: trunkreg
Revises: trunks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "trunkreg"
down_revision: str | None = "trunks"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("prov_trunks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("register_expires", sa.Integer(), nullable=True),
        )


def downgrade() -> None:
    with op.batch_alter_table("prov_trunks", schema=None) as batch_op:
        batch_op.drop_column("register_expires")

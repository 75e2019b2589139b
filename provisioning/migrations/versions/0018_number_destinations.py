"""direct numbers: longer destinations, a user's voicemail box `voicemail:<extension>` (issue 15.2)

Revision ID: numdest
Revises: bridge_rooms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "numdest"
down_revision: str | None = "bridge_rooms"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("prov_numbers", schema=None) as batch_op:
        batch_op.alter_column(
            "destination", existing_type=sa.String(8), type_=sa.String(24), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("prov_numbers", schema=None) as batch_op:
        batch_op.alter_column(
            "destination", existing_type=sa.String(24), type_=sa.String(8), existing_nullable=False
        )

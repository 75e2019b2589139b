"""calling plans: categories called only with a PIN (issue 15.4, EnhancedOutgoingCallingPlan)

Revision ID: callpin
Revises: contact_sources
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "callpin"
down_revision: str | None = "contact_sources"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("prov_calling_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pin", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prov_calling_plans", schema=None) as batch_op:
        batch_op.drop_column("pin")

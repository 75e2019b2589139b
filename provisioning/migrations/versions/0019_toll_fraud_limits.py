"""calling plans: a tenant's own toll-fraud guard limits (issue 15.5)

Revision ID: fraudlim
Revises: numdest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "fraudlim"
down_revision: str | None = "numdest"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("prov_calling_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("toll_fraud", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prov_calling_plans", schema=None) as batch_op:
        batch_op.drop_column("toll_fraud")

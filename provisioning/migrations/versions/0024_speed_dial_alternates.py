"""users' speed dial lists (SpeedDial8 / SpeedDial100, provisioning/speed_dial_store.py) and
alternate numbers (AlternateNumbers, provisioning/alternate_numbers.py) and the custom ringback
(CustomRingbackUser, provisioning/custom_ringback.py)

Revision ID: speeddial
Revises: intercept_user
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "speeddial"
down_revision: str | None = "intercept_user"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "prov_speed_dials",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["prov_users.id"],
            name=op.f("fk_prov_speed_dials_user_id_prov_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_prov_speed_dials")),
    )
    op.create_table(
        "prov_alternate_numbers",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["prov_users.id"],
            name=op.f("fk_prov_alternate_numbers_user_id_prov_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant", "number", name=op.f("pk_prov_alternate_numbers")),
    )

    op.create_table(
        "prov_custom_ringbacks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("announcement", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["prov_users.id"],
            name=op.f("fk_prov_custom_ringbacks_user_id_prov_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_prov_custom_ringbacks")),
    )


def downgrade() -> None:
    op.drop_table("prov_custom_ringbacks")
    op.drop_table("prov_alternate_numbers")
    op.drop_table("prov_speed_dials")

"""Group calls: one fact per call and hunt group or auto attendant, and the events folded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 10:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "group_call_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("group_number", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("offered_at", sa.Double(), nullable=False),
        sa.Column("members_rung", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.Column("answered_at", sa.Double(), nullable=True),
        sa.Column("member", sa.String(length=64), nullable=True),
        sa.Column("forward_trigger", sa.String(length=16), nullable=True),
        sa.Column("forward_destination", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_call_facts")),
        sa.UniqueConstraint(
            "tenant",
            "group_number",
            "call_id",
            "offered_at",
            name=op.f("uq_group_call_facts_tenant"),
        ),
    )
    with op.batch_alter_table("group_call_facts", schema=None) as batch_op:
        batch_op.create_index("ix_group_call_facts_call", ["tenant", "call_id"], unique=False)
        batch_op.create_index("ix_group_call_facts_period", ["tenant", "offered_at"], unique=False)

    op.create_table(
        "ingested_group_events",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("timestamp", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "identity", name=op.f("pk_ingested_group_events")),
    )


def downgrade() -> None:
    op.drop_table("ingested_group_events")
    with op.batch_alter_table("group_call_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_group_call_facts_period")
        batch_op.drop_index("ix_group_call_facts_call")
    op.drop_table("group_call_facts")

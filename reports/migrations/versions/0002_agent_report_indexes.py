"""Indexes for agent reports: facts by answer time, state intervals by start time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:38:56.546158
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:

    with op.batch_alter_table("agent_state_intervals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_state_intervals_period", ["tenant", "started_at"], unique=False
        )

    with op.batch_alter_table("queue_call_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_queue_call_facts_answered", ["tenant", "answered_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("queue_call_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_call_facts_answered")

    with op.batch_alter_table("agent_state_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_state_intervals_period")

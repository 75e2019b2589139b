"""initial reports schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:55:22.408557
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
        "agent_membership_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("call_center_id", sa.String(length=64), nullable=False),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_membership_events")),
        sa.UniqueConstraint("tenant", "sequence", name=op.f("uq_agent_membership_events_tenant")),
    )
    op.create_table(
        "agent_state_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=True),
        sa.Column("unavailable_code", sa.String(length=64), nullable=True),
        sa.Column("cause", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("call_center_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_intervals")),
        sa.UniqueConstraint("tenant", "sequence", name=op.f("uq_agent_state_intervals_tenant")),
    )
    with op.batch_alter_table("agent_state_intervals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_state_intervals_agent", ["tenant", "agent", "started_at"], unique=False
        )

    op.create_table(
        "call_detail_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("usage_type", sa.String(length=8), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("called", sa.String(length=64), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("profile", sa.String(length=32), nullable=True),
        sa.Column("start_at", sa.Double(), nullable=False),
        sa.Column("answer_at", sa.Double(), nullable=True),
        sa.Column("end_at", sa.Double(), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("quantity", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("call_center_id", sa.String(length=64), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_detail_records")),
        sa.UniqueConstraint(
            "tenant", "origin", "call_id", name=op.f("uq_call_detail_records_tenant")
        ),
    )
    with op.batch_alter_table("call_detail_records", schema=None) as batch_op:
        batch_op.create_index("ix_call_detail_records_period", ["tenant", "start_at"], unique=False)

    op.create_table(
        "ingested_events",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("timestamp", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant", "sequence", name=op.f("pk_ingested_events")),
    )
    op.create_table(
        "queue_call_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("call_center_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("first_sequence", sa.BigInteger(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=True),
        sa.Column("called", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("arrived_at", sa.Double(), nullable=False),
        sa.Column("entered", sa.Boolean(), nullable=False),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.Column("offer_count", sa.Integer(), nullable=False),
        sa.Column("bounce_count", sa.Integer(), nullable=False),
        sa.Column("hold_count", sa.Integer(), nullable=False),
        sa.Column("entrance_done", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outcome_trigger", sa.String(length=32), nullable=True),
        sa.Column("outcome_action", sa.String(length=32), nullable=True),
        sa.Column("destination", sa.String(length=64), nullable=True),
        sa.Column("abandoned_during_entrance", sa.Boolean(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("answered_at", sa.Double(), nullable=True),
        sa.Column("released_at", sa.Double(), nullable=True),
        sa.Column("talk_seconds", sa.Double(), nullable=True),
        sa.Column("released_by", sa.String(length=16), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_call_facts")),
        sa.UniqueConstraint("tenant", "first_sequence", name=op.f("uq_queue_call_facts_tenant")),
    )
    with op.batch_alter_table("queue_call_facts", schema=None) as batch_op:
        batch_op.create_index("ix_queue_call_facts_call", ["tenant", "call_id"], unique=False)
        batch_op.create_index("ix_queue_call_facts_period", ["tenant", "arrived_at"], unique=False)

    op.create_table(
        "rejected_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_entries")),
        sa.UniqueConstraint("stream", "entry_id", name=op.f("uq_rejected_entries_stream")),
    )
    op.create_table(
        "stream_cursors",
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("last_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_stream_cursors")),
    )


def downgrade() -> None:

    op.drop_table("stream_cursors")
    op.drop_table("rejected_entries")
    with op.batch_alter_table("queue_call_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_call_facts_period")
        batch_op.drop_index("ix_queue_call_facts_call")

    op.drop_table("queue_call_facts")
    op.drop_table("ingested_events")
    with op.batch_alter_table("call_detail_records", schema=None) as batch_op:
        batch_op.drop_index("ix_call_detail_records_period")

    op.drop_table("call_detail_records")
    with op.batch_alter_table("agent_state_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_state_intervals_agent")

    op.drop_table("agent_state_intervals")
    op.drop_table("agent_membership_events")

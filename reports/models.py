"""SQL tables of the reports package (SQLAlchemy 2, our own MetaData).

Times are stored as engine time: seconds since the Unix epoch (UTC) in double precision, exactly
as the domain events carry them. That keeps interval arithmetic portable between SQLite and
PostgreSQL and avoids any time-zone conversion between the event stream and the facts.

The schema is created by the Alembic migrations in `reports/migrations/` (see `reports.db.migrate`);
`METADATA` is what those migrations were written from, and what tests compare them with.
"""

from __future__ import annotations

from enum import StrEnum
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.number_categories import Category

# Constraint names are spelled out so that Alembic migrations can address them on every backend.
METADATA = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Base(DeclarativeBase):
    metadata = METADATA


class Outcome(StrEnum):
    """How a call's stay in one call center ended (one per queue-call fact)."""

    WAITING = "waiting"
    """Not ended yet (no terminal event seen)."""
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"
    STRANDED = "stranded"
    TRANSFERRED = "transferred"
    ESCAPED = "escaped"
    DIVERTED = "diverted"
    LOST = "lost"
    """The platform lost the call (a crash), reported apart from the caller's abandonment."""
    CALLBACK_ANSWERED = "called_back"
    """A callback (docs/callback.md) that reached the customer: answered, counted apart."""
    CALLBACK_ABANDONED = "callback_failed"
    """A callback given up after its attempts: counted apart from the caller's abandonment."""


class EventStatus(StrEnum):
    """What the ingester did with one event (kept in `ingested_events`)."""

    FOLDED = "folded"
    """Applied to the facts."""
    RECORDED = "recorded"
    """Valid but changes no fact (e.g. CALL_CENTER_UPDATED, INPUT_REJECTED)."""
    REJECTED = "rejected"
    """Not applied; `reason` says why and `raw` keeps the original JSON."""


class IngestedEvent(Base):
    """One row per event taken from a tenant's stream: the idempotency key and the audit trail.

    The primary key `(tenant, sequence)` is the event identity of docs/events.md, so an event seen
    twice (a replayed stream, a restarted ingester) is recognised and never folded twice.
    """

    __tablename__ = "ingested_events"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    timestamp: Mapped[float] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    """The original JSON, kept only when the event was rejected or carried unknown fields."""


class StreamCursor(Base):
    """The last stream entry id fully ingested per Redis stream key (the ingester's position).

    Written in the same transaction as the rows that entry produced, so position and facts can
    never disagree after a crash.
    """

    __tablename__ = "stream_cursors"

    stream: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_id: Mapped[str] = mapped_column(String(40))


class RejectedEntry(Base):
    """A stream entry that is not even a readable event (no usable identity), kept for audit."""

    __tablename__ = "rejected_entries"
    __table_args__ = (UniqueConstraint("stream", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)


class QueueCallFact(Base):
    """One call's stay in one call center, from arrival to its terminal event (and release)."""

    __tablename__ = "queue_call_facts"
    __table_args__ = (
        UniqueConstraint("tenant", "first_sequence"),
        Index("ix_queue_call_facts_period", "tenant", "arrived_at"),
        Index("ix_queue_call_facts_call", "tenant", "call_id"),
        Index("ix_queue_call_facts_answered", "tenant", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    call_center_id: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(128))
    first_sequence: Mapped[int] = mapped_column(BigInteger)
    """Sequence of the event that opened the fact (CALL_ADDED, or the arrival treatment)."""
    caller: Mapped[str | None] = mapped_column(String(64))
    called: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int | None] = mapped_column(Integer)
    arrived_at: Mapped[float] = mapped_column(Double)
    entered: Mapped[bool] = mapped_column(Boolean)
    """True when the call entered the queue (CALL_ADDED); false for arrival treatments."""
    offered: Mapped[bool] = mapped_column(Boolean, default=False)
    """Offered to at least one agent."""
    offer_count: Mapped[int] = mapped_column(Integer, default=0)
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    hold_count: Mapped[int] = mapped_column(Integer, default=0)
    entrance_done: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(16), default=Outcome.WAITING.value)
    outcome_trigger: Mapped[str | None] = mapped_column(String(32))
    outcome_action: Mapped[str | None] = mapped_column(String(32))
    destination: Mapped[str | None] = mapped_column(String(64))
    abandoned_during_entrance: Mapped[bool | None] = mapped_column(Boolean)
    ended_at: Mapped[float | None] = mapped_column(Double)
    """Time of the terminal event (end of the stay in the queue)."""
    wait_seconds: Mapped[float | None] = mapped_column(Double)
    agent: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[float | None] = mapped_column(Double)
    released_at: Mapped[float | None] = mapped_column(Double)
    talk_seconds: Mapped[float | None] = mapped_column(Double)
    released_by: Mapped[str | None] = mapped_column(String(16))
    disposition: Mapped[str | None] = mapped_column(String(64))


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


CallCategory = Category
"""A CDR's category (seed 3.5.3 'categorie'): the PBX's own (national, mobile, international,
premium rate, service, emergency; internal), so the usage report counts what calling plans
decide. Records without one are read as national or international by their number."""


class UsageType(StrEnum):
    """Seed 3.5.3: usage is reported by type (spraak, sms, data)."""

    VOICE = "voice"
    SMS = "sms"
    DATA = "data"


class CallDetailRecord(Base):
    """One call (or SMS / data session) for billing-style and call-history reports.

    `origin` tells where it came from: `queue` (derived from the queue events of a call that
    passed through a call center) or `pbx` (a CALL_DETAIL record, see docs/reports.md).
    """

    __tablename__ = "call_detail_records"
    __table_args__ = (
        UniqueConstraint("tenant", "origin", "call_id"),
        Index("ix_call_detail_records_period", "tenant", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(8))
    call_id: Mapped[str] = mapped_column(String(128))
    usage_type: Mapped[str] = mapped_column(String(8), default=UsageType.VOICE.value)
    direction: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(16))
    caller: Mapped[str | None] = mapped_column(String(64))
    called: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(64))
    """The subscriber's own number the usage is billed to (seed 3.5.3 'telefoonnummer')."""
    profile: Mapped[str | None] = mapped_column(String(32))
    """The subscriber's user profile (seed 3.5.3 'gebruikersprofiel'), when known."""
    start_at: Mapped[float] = mapped_column(Double)
    answer_at: Mapped[float | None] = mapped_column(Double)
    end_at: Mapped[float | None] = mapped_column(Double)
    duration_seconds: Mapped[float | None] = mapped_column(Double)
    """Billable duration: answer to end for voice."""
    quantity: Mapped[float | None] = mapped_column(Double)
    """Usage amount in the type's unit: seconds (voice), messages (sms), bytes (data)."""
    outcome: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(64))
    call_center_id: Mapped[str | None] = mapped_column(String(64))
    disposition: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(Text)


class AgentStateInterval(Base):
    """An agent's ACD state from one AGENT_STATE_CHANGED to the next (open: `ended_at` null)."""

    __tablename__ = "agent_state_intervals"
    __table_args__ = (
        UniqueConstraint("tenant", "sequence"),
        Index("ix_agent_state_intervals_agent", "tenant", "agent", "started_at"),
        Index("ix_agent_state_intervals_period", "tenant", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    """Sequence of the AGENT_STATE_CHANGED that started the interval."""
    state: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(16))
    unavailable_code: Mapped[str | None] = mapped_column(String(64))
    cause: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    call_center_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[float] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double)


class AgentMembershipEvent(Base):
    """AGENT_JOINED / AGENT_LEFT history (who belonged to which call center when)."""

    __tablename__ = "agent_membership_events"
    __table_args__ = (UniqueConstraint("tenant", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(BigInteger)
    agent: Mapped[str] = mapped_column(String(64))
    call_center_id: Mapped[str] = mapped_column(String(64))
    joined: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[float] = mapped_column(Double)


class GroupCallOutcome(StrEnum):
    """How a call's stay in one hunt group or auto attendant ended (one per group-call fact)."""

    WAITING = "waiting"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    FORWARDED = "forwarded"
    FAILED = "failed"
    """A fax number's call that brought no fax (GROUP_FAX_FAILED)."""


class GroupCallFact(Base):
    """One call's stay in one hunt group or auto attendant, from GROUP_CALL_OFFERED to the event
    that ended it (docs/reports.md, "Group calls"); a call offered to the group again after that
    opens a fact of its own."""

    __tablename__ = "group_call_facts"
    __table_args__ = (
        UniqueConstraint("tenant", "group_number", "call_id", "offered_at"),
        Index("ix_group_call_facts_period", "tenant", "offered_at"),
        Index("ix_group_call_facts_call", "tenant", "call_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64))
    group_number: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    """`hunt_group`, `auto_attendant`, `instant_group` or `fax` (GROUP_CALL_OFFERED's `kind`)."""
    caller: Mapped[str | None] = mapped_column(String(64))
    offered_at: Mapped[float] = mapped_column(Double)
    members_rung: Mapped[int] = mapped_column(Integer, default=0)
    """GROUP_MEMBER_RUNG events: each ring of a member's phone (a circular hunt may ring one
    member twice)."""
    outcome: Mapped[str] = mapped_column(String(16), default=GroupCallOutcome.WAITING.value)
    ended_at: Mapped[float | None] = mapped_column(Double)
    """When the group let go of the call: answered, abandoned or forwarded."""
    wait_seconds: Mapped[float | None] = mapped_column(Double)
    answered_at: Mapped[float | None] = mapped_column(Double)
    member: Mapped[str | None] = mapped_column(String(64))
    """The member who answered (None for a fax number's received fax)."""
    forward_trigger: Mapped[str | None] = mapped_column(String(16))
    forward_destination: Mapped[str | None] = mapped_column(String(64))


class IngestedGroupEvent(Base):
    """One row per group-call event taken from a tenant's group-events stream: the idempotency
    key and the audit trail. The events carry no sequence, so their identity is a digest of their
    content (`reports.group_fold.identity`): the same event delivered twice is folded once."""

    __tablename__ = "ingested_group_events"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    timestamp: Mapped[float] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    """The original JSON, kept only when the event was rejected."""


# The Core tables: the ingester's bulk writes and the report queries work on these, not on ORM
# objects (one ORM object per row would cost more than the rest of a batch).
FACTS = cast(Table, QueueCallFact.__table__)
CDRS = cast(Table, CallDetailRecord.__table__)
STATES = cast(Table, AgentStateInterval.__table__)
MEMBERSHIPS = cast(Table, AgentMembershipEvent.__table__)
EVENTS = cast(Table, IngestedEvent.__table__)
REJECTED_ENTRIES = cast(Table, RejectedEntry.__table__)
CURSORS = cast(Table, StreamCursor.__table__)
GROUP_FACTS = cast(Table, GroupCallFact.__table__)
GROUP_EVENTS = cast(Table, IngestedGroupEvent.__table__)

"""The domain event types the queue engine emits: names outside clients rely on
(`../shared/spec/contract.md`, Xsi-style; docs/events.md). Defined here, in the shared kernel, so
the engine, the reports, the supervisor board and the browser client (through
`/agent/config.json`) all read the one list.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """Names outside clients rely on (`../shared/spec/contract.md`)."""

    CALL_ADDED = "CALL_ADDED"
    """A call entered the queue (after night/forced/full/stranded checks let it in)."""
    CALL_OFFERED = "CALL_OFFERED"
    """The routing policy picked an agent and the agent's phone rings."""
    CALL_ANSWERED = "CALL_ANSWERED"
    """An agent answered; caller and agent are bridged."""
    CALL_ABANDONED = "CALL_ABANDONED"
    """The caller hung up before an agent answered (data.during_entrance tells when)."""
    CALL_BOUNCED = "CALL_BOUNCED"
    """An offer or a held call bounced back to the top of the queue."""
    CALL_OVERFLOWED = "CALL_OVERFLOWED"
    """Overflow treatment (queue full or max wait) took the call."""
    CALL_STRANDED = "CALL_STRANDED"
    """Stranded treatment (no agent signed in / none available) took the call."""
    CALL_RELEASED = "CALL_RELEASED"
    """An answered call ended (either side hung up)."""
    CALL_TRANSFERRED = "CALL_TRANSFERRED"
    """A supervisor moved the call out (to another queue or retrieved it)."""
    CALL_PROMOTED = "CALL_PROMOTED"
    """A supervisor changed the call's priority."""
    CALL_REORDERED = "CALL_REORDERED"
    """A supervisor moved the call within its priority."""
    CALL_ESCAPED = "CALL_ESCAPED"
    """The caller pressed the escape digit."""
    CALL_DIVERTED = "CALL_DIVERTED"
    """Night service, holiday service or forced forwarding took the call on arrival."""
    CALL_LOST = "CALL_LOST"
    """The platform lost a waiting call (its SIP dialog died with a crashed process): never the
    caller's abandonment (data.wait_seconds; the reason names the cause)."""
    CALLBACK_REQUESTED = "CALLBACK_REQUESTED"
    """A waiting caller (or the web) asked for a callback: the call keeps its place without its
    caller (docs/callback.md)."""
    CALLBACK_DIALING = "CALLBACK_DIALING"
    """The agent answered a callback's offer; the customer's number is being called."""
    CALLBACK_ANSWERED = "CALLBACK_ANSWERED"
    """The customer answered the callback and is connected to the agent."""
    CALLBACK_RETRY = "CALLBACK_RETRY"
    """An attempt did not reach the customer; the callback keeps its place for the next one."""
    CALLBACK_ABANDONED = "CALLBACK_ABANDONED"
    """The callback was given up: every attempt failed."""
    CALL_UPDATED = "CALL_UPDATED"
    """Something about a waiting call changed (entrance message done, comfort message played...)."""
    CALL_HELD = "CALL_HELD"
    CALL_RESUMED = "CALL_RESUMED"
    DISPOSITION_ENTERED = "DISPOSITION_ENTERED"
    AGENT_STATE_CHANGED = "AGENT_STATE_CHANGED"
    AGENT_JOINED = "AGENT_JOINED"
    AGENT_LEFT = "AGENT_LEFT"
    CALL_CENTER_UPDATED = "CALL_CENTER_UPDATED"
    """A supervisor switch (night service override, forced forwarding) changed."""
    INPUT_REJECTED = "INPUT_REJECTED"
    """An impossible input (unknown call, agent not a member...) was refused; state unchanged."""
    # The group services' calls (docs/group-services.md, "Events"): not the engine's, so they
    # have a stream of their own (`common.redis_keys.group_event_stream`), without sequences.
    GROUP_CALL_OFFERED = "GROUP_CALL_OFFERED"
    """A call reached a hunt group or an auto attendant (`group` is its number)."""
    GROUP_MEMBER_RUNG = "GROUP_MEMBER_RUNG"
    """A hunt group's member's phone rings with the call (`member`)."""
    GROUP_CALL_ANSWERED = "GROUP_CALL_ANSWERED"
    """A member answered the hunt group's call."""
    GROUP_CALL_ABANDONED = "GROUP_CALL_ABANDONED"
    """The caller hung up in the group (ringing, or in the menu) before anyone took the call."""
    GROUP_CALL_FORWARDED = "GROUP_CALL_FORWARDED"
    """The group sent the call on (a menu's key, group forwarding, no answer, busy), or gave up
    on it (`destination` null: 486/480)."""
    GROUP_FAX_RECEIVED = "GROUP_FAX_RECEIVED"
    """A fax number received a fax (docs/fax.md); `reason` says whether the PDF was mailed."""
    GROUP_FAX_FAILED = "GROUP_FAX_FAILED"
    """A fax call to a fax number brought no fax (`reason`: why); the failure was reported."""
    # The conference rooms' joins and leaves (docs/conference.md): on the same stream.
    ROOM_PARTICIPANT_JOINED = "ROOM_PARTICIPANT_JOINED"
    """A caller keyed the room's PIN and is in the room (`group` is the room's number)."""
    ROOM_PARTICIPANT_LEFT = "ROOM_PARTICIPANT_LEFT"
    """A participant left the room (hung up, or was hung up on)."""
    # The PBX's own pickup and park of extension calls (docs/phone-features.md): the same stream.
    CALL_PICKED_UP = "CALL_PICKED_UP"
    """A user took a colleague's ringing call (`*98`, `*97<ext>`, an INVITE with Replaces)."""
    CALL_PARKED = "CALL_PARKED"
    """A user parked the call in a slot (`*68`, a transfer to `*68`, the console's ParkCall)."""
    CALL_PARK_RETRIEVED = "CALL_PARK_RETRIEVED"
    """A user took the parked call (`*88<slot>`)."""
    CALL_PARK_RECALLED = "CALL_PARK_RECALLED"
    """The park timed out: the call rings its parker again."""


TERMINAL_CALL_EVENTS = frozenset(
    {
        EventType.CALL_ANSWERED,
        EventType.CALL_ABANDONED,
        EventType.CALL_OVERFLOWED,
        EventType.CALL_STRANDED,
        EventType.CALL_TRANSFERRED,
        EventType.CALL_ESCAPED,
        EventType.CALL_DIVERTED,
        EventType.CALL_LOST,
        EventType.CALLBACK_ANSWERED,
        EventType.CALLBACK_ABANDONED,
    }
)
"""Exactly one of these ends each call's stay in a call center (call-center.md, outcome)."""

GROUP_CALL_EVENTS = frozenset(
    {
        EventType.GROUP_CALL_OFFERED,
        EventType.GROUP_MEMBER_RUNG,
        EventType.GROUP_CALL_ANSWERED,
        EventType.GROUP_CALL_ABANDONED,
        EventType.GROUP_CALL_FORWARDED,
        EventType.GROUP_FAX_RECEIVED,
        EventType.GROUP_FAX_FAILED,
    }
)
"""The group services' events (cti/group_events.py), never the queue engine's."""

ROOM_EVENTS = frozenset({EventType.ROOM_PARTICIPANT_JOINED, EventType.ROOM_PARTICIPANT_LEFT})
"""The conference rooms' events, on the group events' stream; not calls of a group (the reports
record them without folding them into group call facts)."""

CALL_HANDLING_EVENTS = frozenset(
    {
        EventType.CALL_PICKED_UP,
        EventType.CALL_PARKED,
        EventType.CALL_PARK_RETRIEVED,
        EventType.CALL_PARK_RECALLED,
    }
)
"""The PBX's pickup and park of extension calls (cti/call_handling_events.py), on the group
events' stream: no group calls (the reports record them without folding them)."""

RECORDED_ONLY_EVENTS = ROOM_EVENTS | CALL_HANDLING_EVENTS
"""On the group events' stream, but no group call's: kept by the reports, never folded."""

GROUP_CALL_KINDS = frozenset({"hunt_group", "auto_attendant", "fax"})
"""GROUP_CALL_OFFERED's `kind`: what answered the number (an instant group rings as a hunt
group does, and is reported as one)."""


DATA_FIELDS: dict[EventType, frozenset[str]] = {
    EventType.CALL_ADDED: frozenset({"priority", "position", "called", "reentry"}),
    EventType.CALL_OFFERED: frozenset({"policy", "ring_timeout"}),
    EventType.CALL_ANSWERED: frozenset({"wait_seconds"}),
    EventType.CALL_ABANDONED: frozenset({"wait_seconds", "during_entrance"}),
    EventType.CALL_LOST: frozenset({"wait_seconds"}),
    EventType.CALL_BOUNCED: frozenset({"trigger"}),
    EventType.CALL_OVERFLOWED: frozenset(
        {"trigger", "action", "destination", "wait_seconds", "on_arrival"}
    ),
    EventType.CALL_STRANDED: frozenset(
        {"trigger", "action", "destination", "wait_seconds", "on_arrival"}
    ),
    EventType.CALL_DIVERTED: frozenset(
        {"trigger", "action", "destination", "wait_seconds", "on_arrival"}
    ),
    EventType.CALL_TRANSFERRED: frozenset({"destination", "wait_seconds", "by"}),
    EventType.CALL_ESCAPED: frozenset({"wait_seconds", "destination"}),
    EventType.CALL_RELEASED: frozenset({"talk_seconds", "released_by"}),
    EventType.CALL_PROMOTED: frozenset({"priority", "previous_priority"}),
    EventType.CALL_REORDERED: frozenset({"position"}),
    EventType.CALL_UPDATED: frozenset({"what"}),
    EventType.CALLBACK_REQUESTED: frozenset({"number", "position", "via"}),
    EventType.CALLBACK_DIALING: frozenset({"number", "attempt"}),
    EventType.CALLBACK_ANSWERED: frozenset({"wait_seconds", "attempt"}),
    EventType.CALLBACK_RETRY: frozenset({"failure", "attempt", "retry_seconds"}),
    EventType.CALLBACK_ABANDONED: frozenset({"failure", "attempts", "wait_seconds"}),
    EventType.CALL_HELD: frozenset(),
    EventType.CALL_RESUMED: frozenset(),
    EventType.DISPOSITION_ENTERED: frozenset({"code"}),
    EventType.AGENT_STATE_CHANGED: frozenset({"state", "previous", "unavailable_code", "cause"}),
    EventType.AGENT_JOINED: frozenset(),
    EventType.AGENT_LEFT: frozenset(),
    EventType.CALL_CENTER_UPDATED: frozenset({"night_service_override", "forced_forwarding"}),
    EventType.INPUT_REJECTED: frozenset({"input", "error"}),
    EventType.GROUP_CALL_OFFERED: frozenset({"kind"}),
    EventType.GROUP_MEMBER_RUNG: frozenset({"policy", "ring_seconds"}),
    EventType.GROUP_CALL_ANSWERED: frozenset({"wait_seconds"}),
    EventType.GROUP_CALL_ABANDONED: frozenset({"wait_seconds"}),
    EventType.GROUP_CALL_FORWARDED: frozenset({"trigger", "destination", "wait_seconds"}),
    EventType.GROUP_FAX_RECEIVED: frozenset({"pages", "mailed"}),
    EventType.GROUP_FAX_FAILED: frozenset({"mailed"}),
    EventType.ROOM_PARTICIPANT_JOINED: frozenset({"role", "muted", "participants"}),
    EventType.ROOM_PARTICIPANT_LEFT: frozenset({"role", "muted", "participants"}),
    EventType.CALL_PICKED_UP: frozenset({"ringing_extension"}),
    EventType.CALL_PARKED: frozenset({"slot"}),
    EventType.CALL_PARK_RETRIEVED: frozenset({"slot", "parked_by"}),
    EventType.CALL_PARK_RECALLED: frozenset({"slot"}),
}
"""The `data` fields each event type may carry (docs/events.md, "data per type", explains each).
The engine's property test checks every event it emits against this, and a docs test checks that
docs/events.md documents every field here; the reports flag anything else as unknown."""

"""Journal entries survive a JSON round trip, and bad entries are refused clearly."""

from __future__ import annotations

import json

import pytest

from queueing.inputs import (
    AgentState,
    CallArrived,
    Cause,
    Input,
    SetAgentState,
    SetNightService,
    TimerFired,
)
from queueing.journal_codec import JournalError, decode_input, encode_input


@pytest.mark.parametrize(
    "event",
    [
        CallArrived("c1", "7001", "+31201234567", 2),
        SetAgentState("1001", AgentState.UNAVAILABLE, Cause.PHONE, "lunch"),
        SetNightService("7003", None, by="sup"),
        TimerFired("c1/comfort"),
    ],
)
def test_round_trip_keeps_types(event: Input) -> None:
    back = decode_input(json.loads(json.dumps(encode_input(event))))
    assert back == event and type(back) is type(event)
    if isinstance(back, SetAgentState):
        assert back.state is AgentState.UNAVAILABLE and back.cause is Cause.PHONE


@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "Explode"},
        {},
        {"kind": "TimerFired"},
        {"kind": "SetAgentState", "agent": "1", "state": "NAP"},
    ],
)
def test_bad_entries_raise_journal_error(raw: dict[str, object]) -> None:
    with pytest.raises((JournalError, ValueError)):
        decode_input(raw)

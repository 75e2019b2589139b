"""The relayed call-center commands as data (cti/engine_commands.py): every `CallCenterControl`
command goes through JSON and back to the same method with the same arguments, and a request's
arguments are checked against their types."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import pytest

from cti.control import CallCenterControl, MonitorMode
from cti.engine_commands import (
    COMMANDS,
    BadCommand,
    Command,
    CommandControl,
    decode,
    encode,
    execute,
    name_of,
)
from cti.snapshots import AgentState, StateCause

CALLS: Sequence[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("set_agent_state", ("t", "1001", AgentState.UNAVAILABLE),
     {"unavailable_code": "lunch", "cause": StateCause.SUPERVISOR, "by": "sup"}),
    ("join_call_center", ("t", "1001", "7001"), {"by": "1001"}),
    ("leave_call_center", ("t", "1001", "7001"), {"by": "sup"}),
    ("enter_disposition", ("t", "1001", "c-1", "sale"), {"by": "1001"}),
    ("move_call", ("t", "c-1", "7002"), {"by": "sup"}),
    ("promote_call", ("t", "c-1", 3), {"by": "sup"}),
    ("reorder_call", ("t", "c-1", 0), {"by": "sup"}),
    ("retrieve_call", ("t", "c-1", "1009"), {"by": "sup"}),
    ("set_night_service_override", ("t", "7001", None), {"by": "sup"}),
    ("set_forced_forwarding", ("t", "7001", True, "+31201234567"), {"by": "sup"}),
    ("hold_call", ("t", "c-1"), {"by": "1001"}),
    ("resume_call", ("t", "c-1"), {"by": "1001"}),
    ("transfer_call", ("t", "c-1", "1002"), {"by": "1001"}),
    ("hang_up", ("t", "c-1"), {"by": "1001"}),
    ("monitor_call", ("t", "c-1", "1009", MonitorMode.WHISPER), {"by": "sup"}),
    ("stop_monitor", ("t", "c-1"), {"by": "sup"}),
    ("record_call", ("t", "c-1", False), {"by": "1001"}),
    ("book_callback", ("t", "7001", "0201111111"), {}),
    ("click_to_dial", ("t", "1001", "+31 20 123"), {}),
]  # fmt: skip


BAD_ARGUMENTS: Sequence[tuple[object, object, str]] = [
    ("DropAllCalls", {}, "no command"),
    (["HangUp"], {}, "no command"),
    ("HangUp", ["c-1", "x"], "arguments are an object"),
    ("HangUp", {"call_id": "c-1"}, "expected"),
    ("HangUp", {"call_id": "c-1", "by": "x", "also": 1}, "expected"),
    ("HangUp", {"call_id": 7, "by": "x"}, "call_id cannot be 7"),
    ("PromoteCall", {"call_id": "c", "priority": True, "by": "x"}, "priority cannot be"),
    ("PromoteCall", {"call_id": "c", "priority": "1", "by": "x"}, "priority cannot be"),
    ("RecordCall", {"call_id": "c", "enabled": 1, "by": "x"}, "enabled cannot be 1"),
    ("MonitorCall", {"call_id": "c", "extension": "1", "mode": "listen", "by": "x"},
     "mode cannot be 'listen'"),
    ("SetNightServiceOverride", {"call_center_id": "7001", "override": "no", "by": "x"},
     "override cannot be"),
]  # fmt: skip


class Recorder:
    """Records the method called on it, whatever it is."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Callable[..., Awaitable[str]]:
        async def record(*args: Any, **kwargs: Any) -> str:
            self.calls.append((name, args, kwargs))
            return "new-call"

        return record


def through_json(recorder: Recorder) -> CommandControl:
    async def run(tenant: str, command: Command) -> str | None:
        sent = json.loads(json.dumps({"command": name_of(command), "arguments": encode(command)}))
        decoded = decode(sent["command"], sent["arguments"])
        assert decoded == command
        return await execute(cast(CallCenterControl, recorder), tenant, decoded)

    return CommandControl(run, reads=cast(CallCenterControl, recorder))


@pytest.mark.parametrize(("method", "args", "kwargs"), CALLS, ids=[c[0] for c in CALLS])
async def test_every_command_reaches_the_same_method_through_json(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    recorder = Recorder()
    await getattr(through_json(recorder), method)(*args, **kwargs)
    assert recorder.calls == [(method, args, kwargs)]


def test_every_relayed_command_is_tested() -> None:
    assert len({name for name, _, _ in CALLS}) == len(COMMANDS) == len(CALLS)


@pytest.mark.parametrize(("name", "arguments", "why"), BAD_ARGUMENTS)
def test_arguments_that_do_not_fit_the_command_are_refused(
    name: object, arguments: object, why: str
) -> None:
    with pytest.raises(BadCommand, match=why):
        decode(name, arguments)

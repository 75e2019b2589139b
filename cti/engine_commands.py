"""The call-center commands as data: the closed set a node in standby relays to the node running
the tenant's engine (cti/engine_command_relay.py, docs/deploy.md "A tenant's queue engine on one
node at a time", point 9).

Each `CallCenterControl` command is a frozen dataclass; `encode` and `decode` turn one into JSON
fields and back, checking every field against its declared type (a request comes from Redis: it
is input like any other); `execute` carries one out against a `CallCenterControl`.
`CommandControl` is the other direction: a `CallCenterControl` whose commands become these
objects, handed to one `run` (locally or to the relay).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, assert_never

from cti.control import CallCenterControl, ControlError, MonitorMode
from cti.snapshots import (
    ActiveCallSnapshot,
    AgentSnapshot,
    AgentState,
    CallCenterSnapshot,
    StateCause,
)


@dataclass(frozen=True)
class SetAgentState:
    extension: str
    state: AgentState
    unavailable_code: str | None
    cause: StateCause
    by: str


@dataclass(frozen=True)
class JoinCallCenter:
    extension: str
    call_center_id: str
    by: str


@dataclass(frozen=True)
class LeaveCallCenter:
    extension: str
    call_center_id: str
    by: str


@dataclass(frozen=True)
class EnterDisposition:
    extension: str
    call_id: str
    code: str
    by: str


@dataclass(frozen=True)
class MoveCall:
    call_id: str
    to_call_center_id: str
    by: str


@dataclass(frozen=True)
class PromoteCall:
    call_id: str
    priority: int
    by: str


@dataclass(frozen=True)
class ReorderCall:
    call_id: str
    position: int
    by: str


@dataclass(frozen=True)
class RetrieveCall:
    call_id: str
    extension: str
    by: str


@dataclass(frozen=True)
class SetNightServiceOverride:
    call_center_id: str
    override: bool | None
    by: str


@dataclass(frozen=True)
class SetForcedForwarding:
    call_center_id: str
    enabled: bool
    destination: str | None
    by: str


@dataclass(frozen=True)
class HoldCall:
    call_id: str
    by: str


@dataclass(frozen=True)
class ResumeCall:
    call_id: str
    by: str


@dataclass(frozen=True)
class TransferCall:
    call_id: str
    destination: str
    by: str


@dataclass(frozen=True)
class HangUp:
    call_id: str
    by: str


@dataclass(frozen=True)
class MonitorCall:
    call_id: str
    extension: str
    mode: MonitorMode
    by: str


@dataclass(frozen=True)
class StopMonitor:
    call_id: str
    by: str


@dataclass(frozen=True)
class RecordCall:
    call_id: str
    enabled: bool
    by: str


@dataclass(frozen=True)
class BookCallback:
    call_center_id: str
    number: str


@dataclass(frozen=True)
class ClickToDial:
    extension: str
    destination: str


Command = (
    SetAgentState | JoinCallCenter | LeaveCallCenter | EnterDisposition | MoveCall | PromoteCall
    | ReorderCall | RetrieveCall | SetNightServiceOverride | SetForcedForwarding | HoldCall
    | ResumeCall | TransferCall | HangUp | MonitorCall | StopMonitor | RecordCall | BookCallback
    | ClickToDial
)  # fmt: skip

COMMANDS: Mapping[str, type[Command]] = {cls.__name__: cls for cls in typing.get_args(Command)}
"""Every relayed command by the name a request carries."""


class BadCommand(ValueError):
    """A request naming no command, or with arguments that do not fit it."""


def name_of(command: Command) -> str:
    return type(command).__name__


def encode(command: Command) -> dict[str, Any]:
    """JSON-ready fields (an enum is its value: StrEnum members are strings)."""
    return {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}


def decode(name: object, arguments: object) -> Command:
    """The command `name` with `arguments`, each field checked against its type."""
    cls = COMMANDS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise BadCommand(f"no command {name!r}")
    if not isinstance(arguments, dict):
        raise BadCommand(f"{name}: arguments are an object, not {type(arguments).__name__}")
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    if set(arguments) != set(fields):
        raise BadCommand(f"{name}: arguments {sorted(arguments)}, expected {sorted(fields)}")
    return cls(**{f: _checked(cls.__name__, f, arguments[f], hints[f]) for f in fields})


def _checked(name: str, field: str, value: object, hint: Any) -> Any:
    """`value` if it is of type `hint` (an enum from its value); Any: checked at run time."""
    if isinstance(hint, types.UnionType):  # only `X | None` occurs
        if value is None:
            return None
        (hint,) = [h for h in typing.get_args(hint) if h is not type(None)]
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        if isinstance(value, str) and value in {member.value for member in hint}:
            return hint(value)
    elif hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is str:
        if isinstance(value, str):
            return value
    else:
        raise TypeError(f"{name}.{field}: no decoding for {hint!r}")  # a command added wrongly
    raise BadCommand(f"{name}: {field} cannot be {value!r}")


async def execute(control: CallCenterControl, tenant: str, command: Command) -> str | None:
    """Carry `command` out; book_callback and click_to_dial return the new call's id."""
    match command:
        case SetAgentState(extension, state, code, cause, by):
            await control.set_agent_state(
                tenant, extension, state, unavailable_code=code, cause=cause, by=by
            )
        case JoinCallCenter(extension, call_center_id, by):
            await control.join_call_center(tenant, extension, call_center_id, by=by)
        case LeaveCallCenter(extension, call_center_id, by):
            await control.leave_call_center(tenant, extension, call_center_id, by=by)
        case EnterDisposition(extension, call_id, code, by):
            await control.enter_disposition(tenant, extension, call_id, code, by=by)
        case MoveCall(call_id, to_call_center_id, by):
            await control.move_call(tenant, call_id, to_call_center_id, by=by)
        case PromoteCall(call_id, priority, by):
            await control.promote_call(tenant, call_id, priority, by=by)
        case ReorderCall(call_id, position, by):
            await control.reorder_call(tenant, call_id, position, by=by)
        case RetrieveCall(call_id, extension, by):
            await control.retrieve_call(tenant, call_id, extension, by=by)
        case SetNightServiceOverride(call_center_id, override, by):
            await control.set_night_service_override(tenant, call_center_id, override, by=by)
        case SetForcedForwarding(call_center_id, enabled, destination, by):
            await control.set_forced_forwarding(tenant, call_center_id, enabled, destination, by=by)
        case HoldCall(call_id, by):
            await control.hold_call(tenant, call_id, by=by)
        case ResumeCall(call_id, by):
            await control.resume_call(tenant, call_id, by=by)
        case TransferCall(call_id, destination, by):
            await control.transfer_call(tenant, call_id, destination, by=by)
        case HangUp(call_id, by):
            await control.hang_up(tenant, call_id, by=by)
        case MonitorCall(call_id, extension, mode, by):
            await control.monitor_call(tenant, call_id, extension, mode, by=by)
        case StopMonitor(call_id, by):
            await control.stop_monitor(tenant, call_id, by=by)
        case RecordCall(call_id, enabled, by):
            await control.record_call(tenant, call_id, enabled, by=by)
        case BookCallback(call_center_id, number):
            return await control.book_callback(tenant, call_center_id, number)
        case ClickToDial(extension, destination):
            return await control.click_to_dial(tenant, extension, destination)
        case _:
            assert_never(command)
    return None


class Reads(Protocol):
    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]: ...

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]: ...

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]: ...


class CommandControl:
    """A `CallCenterControl` whose commands are handed to `run` as `Command`s (carried out here
    or relayed, cti/engine_leased.py decides); reads come from `reads` (the node's runtime)."""

    def __init__(self, run: Callable[[str, Command], Awaitable[str | None]], reads: Reads) -> None:
        self.run = run
        self._reads = reads

    async def _new_call(self, tenant: str, command: BookCallback | ClickToDial) -> str:
        call_id = await self.run(tenant, command)
        if call_id is None:
            raise ControlError("bad_reply", f"{name_of(command)} answered without a call id")
        return call_id

    async def set_agent_state(
        self,
        tenant: str,
        extension: str,
        state: AgentState,
        *,
        unavailable_code: str | None,
        cause: StateCause,
        by: str,
    ) -> None:
        await self.run(tenant, SetAgentState(extension, state, unavailable_code, cause, by))

    async def join_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        await self.run(tenant, JoinCallCenter(extension, call_center_id, by))

    async def leave_call_center(
        self, tenant: str, extension: str, call_center_id: str, *, by: str
    ) -> None:
        await self.run(tenant, LeaveCallCenter(extension, call_center_id, by))

    async def enter_disposition(
        self, tenant: str, extension: str, call_id: str, code: str, *, by: str
    ) -> None:
        await self.run(tenant, EnterDisposition(extension, call_id, code, by))

    async def move_call(
        self, tenant: str, call_id: str, to_call_center_id: str, *, by: str
    ) -> None:
        await self.run(tenant, MoveCall(call_id, to_call_center_id, by))

    async def promote_call(self, tenant: str, call_id: str, priority: int, *, by: str) -> None:
        await self.run(tenant, PromoteCall(call_id, priority, by))

    async def reorder_call(self, tenant: str, call_id: str, position: int, *, by: str) -> None:
        await self.run(tenant, ReorderCall(call_id, position, by))

    async def retrieve_call(self, tenant: str, call_id: str, extension: str, *, by: str) -> None:
        await self.run(tenant, RetrieveCall(call_id, extension, by))

    async def set_night_service_override(
        self, tenant: str, call_center_id: str, override: bool | None, *, by: str
    ) -> None:
        await self.run(tenant, SetNightServiceOverride(call_center_id, override, by))

    async def set_forced_forwarding(
        self,
        tenant: str,
        call_center_id: str,
        enabled: bool,
        destination: str | None,
        *,
        by: str,
    ) -> None:
        await self.run(tenant, SetForcedForwarding(call_center_id, enabled, destination, by))

    async def hold_call(self, tenant: str, call_id: str, *, by: str) -> None:
        await self.run(tenant, HoldCall(call_id, by))

    async def resume_call(self, tenant: str, call_id: str, *, by: str) -> None:
        await self.run(tenant, ResumeCall(call_id, by))

    async def transfer_call(self, tenant: str, call_id: str, destination: str, *, by: str) -> None:
        await self.run(tenant, TransferCall(call_id, destination, by))

    async def hang_up(self, tenant: str, call_id: str, *, by: str) -> None:
        await self.run(tenant, HangUp(call_id, by))

    async def monitor_call(
        self, tenant: str, call_id: str, extension: str, mode: MonitorMode, *, by: str
    ) -> None:
        await self.run(tenant, MonitorCall(call_id, extension, mode, by))

    async def stop_monitor(self, tenant: str, call_id: str, *, by: str) -> None:
        await self.run(tenant, StopMonitor(call_id, by))

    async def record_call(self, tenant: str, call_id: str, enabled: bool, *, by: str) -> None:
        await self.run(tenant, RecordCall(call_id, enabled, by))

    async def book_callback(self, tenant: str, call_center_id: str, number: str) -> str:
        return await self._new_call(tenant, BookCallback(call_center_id, number))

    async def click_to_dial(self, tenant: str, extension: str, destination: str) -> str:
        return await self._new_call(tenant, ClickToDial(extension, destination))

    async def call_centers(self, tenant: str) -> Sequence[CallCenterSnapshot]:
        return await self._reads.call_centers(tenant)

    async def agents(self, tenant: str) -> Sequence[AgentSnapshot]:
        return await self._reads.agents(tenant)

    async def active_calls(self, tenant: str) -> Sequence[ActiveCallSnapshot]:
        return await self._reads.active_calls(tenant)

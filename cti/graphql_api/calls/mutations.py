"""Call control of an agent's own calls (supervisors: calls of their call centers)."""

from __future__ import annotations

import re
from collections.abc import Callable

import strawberry

from cti.authorization import (
    may_control_call,
    may_dial_for,
    may_monitor_call,
    may_monitor_from,
)
from cti.control import ControlError
from cti.graphql_api import fields
from cti.graphql_api.commands import CommandAccepted, run_command
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.enums import MonitorMode
from cti.graphql_api.errors import BadInput, Forbidden, NotFound, Refused
from cti.principal import Principal
from cti.snapshots import ActiveCallSnapshot

_NUMBER = re.compile(r"^\+?[0-9*#]{2,20}$")


async def _active_call(
    info: CtiInfo,
    call_id: str,
    allowed: Callable[[Principal, ActiveCallSnapshot], bool],
    refusal: str,
) -> tuple[Principal, ActiveCallSnapshot]:
    principal = await principal_of(info)
    call = await info.context.services.snapshots.call(principal.tenant, call_id)
    if call is None:
        raise NotFound(f"no active call {call_id!r}")
    if not allowed(principal, call):
        raise Forbidden(refusal)
    return principal, call


async def _my_call(info: CtiInfo, call_id: str) -> tuple[Principal, ActiveCallSnapshot]:
    return await _active_call(info, call_id, may_control_call, "not your call")


async def _supervised_call(info: CtiInfo, call_id: str) -> tuple[Principal, ActiveCallSnapshot]:
    return await _active_call(
        info, call_id, may_monitor_call, "you do not supervise this call's call center"
    )


def _number(value: str, what: str) -> str:
    if not _NUMBER.match(value):
        raise BadInput(f"{what} must be a phone number, an extension or a call center number")
    return value


@strawberry.type
class CallMutations:
    @fields.mutation(description="Put your call on hold")
    async def hold_call(self, info: CtiInfo, call_id: strawberry.ID) -> CommandAccepted:
        principal, call = await _my_call(info, call_id)
        control = info.context.control()
        return await run_command(
            control.hold_call(principal.tenant, call.call_id, by=principal.username)
        )

    @fields.mutation(description="Resume your held call")
    async def resume_call(self, info: CtiInfo, call_id: strawberry.ID) -> CommandAccepted:
        principal, call = await _my_call(info, call_id)
        control = info.context.control()
        return await run_command(
            control.resume_call(principal.tenant, call.call_id, by=principal.username)
        )

    @fields.mutation(description="Transfer your call to an extension, a number or a queue")
    async def transfer_call(
        self, info: CtiInfo, call_id: strawberry.ID, destination: str
    ) -> CommandAccepted:
        _number(destination, "destination")
        principal, call = await _my_call(info, call_id)
        control = info.context.control()
        return await run_command(
            control.transfer_call(
                principal.tenant, call.call_id, destination, by=principal.username
            )
        )

    @fields.mutation(description="Hang up your call")
    async def hang_up_call(self, info: CtiInfo, call_id: strawberry.ID) -> CommandAccepted:
        principal, call = await _my_call(info, call_id)
        control = info.context.control()
        return await run_command(
            control.hang_up(principal.tenant, call.call_id, by=principal.username)
        )

    @fields.mutation(description="Start or stop recording your call")
    async def record_call(
        self, info: CtiInfo, call_id: strawberry.ID, enabled: bool = True
    ) -> CommandAccepted:
        principal, call = await _my_call(info, call_id)
        control = info.context.control()
        return await run_command(
            control.record_call(principal.tenant, call.call_id, enabled, by=principal.username)
        )

    @fields.mutation(
        description="Supervisors: ring `extension` (your own phone, no other) and listen in on an"
        " agent's call (LISTEN: silent monitoring), coach the agent alone (WHISPER: the caller"
        " does not hear you) or join it (BARGE); again with another mode to switch"
    )
    async def monitor_call(
        self, info: CtiInfo, call_id: strawberry.ID, extension: str, mode: MonitorMode
    ) -> CommandAccepted:
        _number(extension, "extension")
        principal, call = await _supervised_call(info, call_id)
        if not may_monitor_from(principal, extension):
            raise Forbidden(
                f"you may listen in only from your own phone ({principal.extension})"
                if principal.extension
                else "your account has no phone of its own to listen in from"
            )
        control = info.context.control()
        return await run_command(
            control.monitor_call(
                principal.tenant, call.call_id, extension, mode, by=principal.username
            )
        )

    @fields.mutation(description="Supervisors: take your phone off the call you listen to")
    async def stop_monitor(self, info: CtiInfo, call_id: strawberry.ID) -> CommandAccepted:
        principal, call = await _supervised_call(info, call_id)
        control = info.context.control()
        return await run_command(
            control.stop_monitor(principal.tenant, call.call_id, by=principal.username)
        )

    @fields.mutation(description="Ring your phone (or `extension`'s), then call `destination`")
    async def click_to_dial(
        self, info: CtiInfo, destination: str, extension: str | None = None
    ) -> CommandAccepted:
        principal = await principal_of(info)
        _number(destination, "destination")
        target = extension or principal.extension
        if not target:
            raise BadInput("extension required: you have none of your own")
        agent = await info.context.services.snapshots.agent(principal.tenant, target)
        if not may_dial_for(principal, agent, target):
            raise Forbidden("you may not dial for this extension")
        try:
            call_id = await info.context.control().click_to_dial(
                principal.tenant, target, destination
            )
        except ControlError as error:
            raise Refused(error.message, error.code) from error
        return CommandAccepted(call_id=strawberry.ID(call_id))

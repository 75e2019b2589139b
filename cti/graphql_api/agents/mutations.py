"""Agent state, call-center membership and disposition codes."""

from __future__ import annotations

import strawberry

from cti.authorization import may_control_call, may_manage_membership, may_set_agent_state
from cti.graphql_api import fields
from cti.graphql_api.commands import CommandAccepted, run_command
from cti.graphql_api.context import CtiInfo, principal_of
from cti.graphql_api.enums import AgentState
from cti.graphql_api.errors import BadInput, Forbidden, NotFound
from cti.principal import Principal, Role
from cti.snapshots import StateCause

CODE_MAX = 64


def _target_extension(principal: Principal, extension: str | None) -> str:
    target = extension or principal.extension
    if not target:
        raise BadInput("extension required: you have none of your own")
    return target


@strawberry.type
class AgentMutations:
    @fields.mutation(
        description="Set an agent's ACD state (your own, or, as a supervisor, `extension`'s); "
        "`reason` is the unavailable code"
    )
    async def set_agent_state(
        self,
        info: CtiInfo,
        state: AgentState,
        reason: str | None = None,
        extension: str | None = None,
    ) -> CommandAccepted:
        principal = await principal_of(info)
        if state is AgentState.BUSY:
            raise BadInput("BUSY cannot be set: an agent on a call reads as BUSY")
        if reason is not None and len(reason) > CODE_MAX:
            raise BadInput(f"reason is at most {CODE_MAX} characters")
        target = _target_extension(principal, extension)
        agent = await info.context.services.snapshots.agent(principal.tenant, target)
        if agent is None and principal.role is not Role.AGENT:
            raise NotFound(f"no agent {target!r}")
        if not may_set_agent_state(principal, agent, target):
            raise Forbidden("you may not change this agent's state")
        own = target == principal.extension
        cause = StateCause.AGENT if own else StateCause.SUPERVISOR
        return await run_command(
            info.context.control().set_agent_state(
                principal.tenant,
                target,
                state,
                unavailable_code=reason if state is AgentState.UNAVAILABLE else None,
                cause=cause,
                by=principal.username,
            )
        )

    @fields.mutation(description="Join a call center (agent: itself; supervisor: any agent)")
    async def join_call_center(
        self, info: CtiInfo, call_center_id: strawberry.ID, extension: str | None = None
    ) -> CommandAccepted:
        principal = await principal_of(info)
        target = _target_extension(principal, extension)
        await _existing_call_center(info, principal, call_center_id)
        if not may_manage_membership(principal, target, call_center_id):
            raise Forbidden("you may not change this membership")
        return await run_command(
            info.context.control().join_call_center(
                principal.tenant, target, call_center_id, by=principal.username
            )
        )

    @fields.mutation(description="Leave a call center")
    async def leave_call_center(
        self, info: CtiInfo, call_center_id: strawberry.ID, extension: str | None = None
    ) -> CommandAccepted:
        principal = await principal_of(info)
        target = _target_extension(principal, extension)
        await _existing_call_center(info, principal, call_center_id)
        if not may_manage_membership(principal, target, call_center_id):
            raise Forbidden("you may not change this membership")
        return await run_command(
            info.context.control().leave_call_center(
                principal.tenant, target, call_center_id, by=principal.username
            )
        )

    @fields.mutation(description="Enter a disposition code for one of your calls")
    async def enter_disposition(
        self, info: CtiInfo, call_id: strawberry.ID, code: str
    ) -> CommandAccepted:
        principal = await principal_of(info)
        if not code or len(code) > CODE_MAX:
            raise BadInput(f"code must be 1 to {CODE_MAX} characters")
        call = await info.context.services.snapshots.call(principal.tenant, call_id)
        if call is None:
            # Codes are mostly entered in wrap-up, when the call is over and gone from the live
            # snapshot: the engine itself checks that it was this agent's last call.
            if principal.extension is None:
                raise NotFound(f"no active call {call_id!r}")
            agent = principal.extension
        elif not may_control_call(principal, call):
            raise Forbidden("not your call")
        else:
            agent = call.agent
        return await run_command(
            info.context.control().enter_disposition(
                principal.tenant, agent, call_id, code, by=principal.username
            )
        )


async def _existing_call_center(info: CtiInfo, principal: Principal, call_center_id: str) -> None:
    if await info.context.services.snapshots.call_center(principal.tenant, call_center_id) is None:
        raise NotFound(f"no call center {call_center_id!r}")

"""Who may do what: pure functions over a Principal and the live snapshot.

Rules (contract.md, Auth): an agent acts only on its own state and its own calls; a supervisor
only on the call centers it supervises (their waiting calls, and the agents and calls in them);
an admin on everything in its tenant; an API token (CRM plugin) reads its tenant and may
click-to-dial. Tenancy itself is enforced before these checks: every lookup is keyed by the
principal's tenant, so nothing here ever sees another tenant's data.
"""

from __future__ import annotations

from collections.abc import Iterable

from cti.principal import Principal, Role
from cti.snapshots import ActiveCallSnapshot, AgentSnapshot, CallCenterSnapshot


def supervises(principal: Principal, call_center_id: str | None) -> bool:
    if principal.role is Role.ADMIN:
        return True
    return (
        principal.role is Role.SUPERVISOR
        and call_center_id is not None
        and call_center_id in principal.call_centers
    )


def may_set_agent_state(principal: Principal, agent: AgentSnapshot | None, extension: str) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.AGENT:
        return principal.extension == extension
    if principal.role is Role.SUPERVISOR:
        return agent is not None and any(supervises(principal, c) for c in agent.call_centers)
    return False


def may_manage_membership(principal: Principal, extension: str, call_center_id: str) -> bool:
    """Join/leave: the agent itself, or a supervisor of that call center."""
    if principal.role is Role.AGENT:
        return principal.extension == extension
    return supervises(principal, call_center_id)


def may_control_call(principal: Principal, call: ActiveCallSnapshot) -> bool:
    if principal.role is Role.AGENT:
        return principal.extension == call.agent
    return supervises(principal, call.call_center_id)


def may_monitor_call(principal: Principal, call: ActiveCallSnapshot) -> bool:
    """Silent monitoring and barge-in: supervisors of the call's call center (and admins);
    never an agent, not even on its own call."""
    return supervises(principal, call.call_center_id)


def may_monitor_from(principal: Principal, extension: str) -> bool:
    """The phone that listens in is the supervisor's own (the extension on its account): a
    supervisor must not be able to make a colleague's or a meeting room's phone overhear an
    agent's call. No list of other "entitled" phones exists; an admin changes the account's
    extension when a supervisor moves desks."""
    return principal.extension is not None and principal.extension == extension


def may_retrieve_to(principal: Principal, agent: AgentSnapshot | None, extension: str) -> bool:
    """A retrieved call goes to the supervisor's own phone or to an agent of its tenant (the
    snapshot is keyed by the principal's tenant, so `agent` is never another tenant's)."""
    return agent is not None or (
        principal.extension is not None and principal.extension == extension
    )


def may_dial_for(principal: Principal, agent: AgentSnapshot | None, extension: str) -> bool:
    if principal.tenant_wide:
        return True
    if principal.role is Role.AGENT:
        return principal.extension == extension
    return agent is not None and any(supervises(principal, c) for c in agent.call_centers)


def may_see_call_center(principal: Principal, call_center: CallCenterSnapshot) -> bool:
    if principal.tenant_wide:
        return True
    if principal.role is Role.SUPERVISOR:
        return call_center.id in principal.call_centers
    return principal.extension is not None and principal.extension in call_center.members


def visible_call_centers(
    principal: Principal, call_centers: Iterable[CallCenterSnapshot]
) -> list[CallCenterSnapshot]:
    return [c for c in call_centers if may_see_call_center(principal, c)]


def may_see_agent(
    principal: Principal, agent: AgentSnapshot, call_centers: Iterable[CallCenterSnapshot]
) -> bool:
    """Agents see themselves; supervisors the members of their call centers; admins all."""
    if principal.tenant_wide:
        return True
    if principal.role is Role.AGENT:
        return principal.extension == agent.extension
    supervised = {c.id for c in call_centers if c.id in principal.call_centers}
    members = {m for c in call_centers if c.id in supervised for m in c.members}
    return agent.extension in members or any(c in supervised for c in agent.call_centers)

"""Which handler takes each input: the engine dispatches by the input's type. Each handler checks
that the input is possible (raising `Rejected` before any change), then acts through `flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from queueing.agent_handlers import (
    enter_disposition,
    join_call_center,
    leave_call_center,
    set_agent_state,
)
from queueing.call_handlers import (
    agent_answered,
    agent_hung_up,
    agent_rejected,
    call_arrived,
    call_held,
    call_resumed,
    caller_hung_up,
    dtmf_received,
    media_finished,
    timer_fired,
)
from queueing.callbacks import (
    callback_answered,
    callback_booked,
    callback_failed,
    callback_requested,
)
from queueing.inputs import (
    AgentAnswered,
    AgentHungUp,
    AgentRejected,
    CallArrived,
    CallbackAnswered,
    CallbackBooked,
    CallbackFailed,
    CallbackRequested,
    CallerHungUp,
    CallHeld,
    CallResumed,
    CallsLost,
    CallsTakenOver,
    DtmfReceived,
    EnterDisposition,
    JoinCallCenter,
    LeaveCallCenter,
    MediaFinished,
    MoveCall,
    PromoteCall,
    ReorderCall,
    RetrieveCall,
    SetAgentState,
    SetForcedForwarding,
    SetNightService,
    TimerFired,
)
from queueing.lost_calls import calls_lost, calls_taken_over
from queueing.step import Step
from queueing.supervisor_handlers import (
    move_call,
    promote_call,
    reorder_call,
    retrieve_call,
    set_forced_forwarding,
    set_night_service,
)

HANDLERS: dict[type[Any], Callable[[Step, Any], None]] = {
    CallArrived: call_arrived,
    CallerHungUp: caller_hung_up,
    CallsLost: calls_lost,
    CallsTakenOver: calls_taken_over,
    DtmfReceived: dtmf_received,
    MediaFinished: media_finished,
    AgentAnswered: agent_answered,
    AgentRejected: agent_rejected,
    AgentHungUp: agent_hung_up,
    CallHeld: call_held,
    CallResumed: call_resumed,
    CallbackRequested: callback_requested,
    CallbackBooked: callback_booked,
    CallbackAnswered: callback_answered,
    CallbackFailed: callback_failed,
    TimerFired: timer_fired,
    SetAgentState: set_agent_state,
    JoinCallCenter: join_call_center,
    LeaveCallCenter: leave_call_center,
    EnterDisposition: enter_disposition,
    MoveCall: move_call,
    PromoteCall: promote_call,
    ReorderCall: reorder_call,
    RetrieveCall: retrieve_call,
    SetNightService: set_night_service,
    SetForcedForwarding: set_forced_forwarding,
}

"""The action callbacks: the selected call remembered, and the control buttons, each of which
calls the CTI GraphQL API with the supervisor's token (`supervisor_ui.actions`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from supervisor_ui.actions import ACTIONS, ActionInput, LiveIndex, perform
from supervisor_ui.api_client import SupervisorApi


def register(app: Dash, api: Callable[[], SupervisorApi]) -> None:
    """The callbacks; `api` gives the dashboard's API client."""

    @app.callback(
        Output("selected-call", "data"),
        Input("ctl-call", "value"),
        prevent_initial_call=True,
    )
    async def remember(call_id: str | None) -> Any:
        return call_id if call_id else no_update

    buttons = {f"btn-{action}": action for action in ACTIONS}

    @app.callback(
        Output("action-message", "children"),
        Output("action-message", "className"),
        [Input(button, "n_clicks") for button in buttons],
        State("session", "data"),
        State("ctl-call", "value"),
        State("ctl-target", "value"),
        State("ctl-priority", "value"),
        State("ctl-position", "value"),
        State("ctl-phone", "value"),
        State("ctl-agent", "value"),
        State("ctl-state", "value"),
        State("ctl-reason", "value"),
        State("ctl-cc", "value"),
        State("ctl-night", "value"),
        State("ctl-forward-to", "value"),
        State("live-index", "data"),
        State("selected-call", "data"),
        prevent_initial_call=True,
    )
    async def act(*values: Any) -> tuple[str, str]:
        triggered = ctx.triggered_id
        if triggered not in buttons:
            raise PreventUpdate
        clicks = values[: len(buttons)]
        if not any(clicks):
            raise PreventUpdate
        (
            session,
            call_id,
            target,
            priority,
            position,
            phone,
            agent,
            state,
            reason,
            call_center,
            night,
            forward_to,
            index,
            last_selected,
        ) = values[len(buttons) :]
        if not isinstance(session, dict) or not session.get("token"):
            return "Sign in first.", "message error"
        given = ActionInput(
            call_id=call_id,
            target_call_center=target,
            priority=priority,
            position=position,
            phone=phone,
            agent=agent,
            agent_state=state,
            reason=reason,
            call_center=call_center,
            night=night,
            forward_to=forward_to,
            last_selected_call=last_selected,
        )
        outcome = await perform(
            api(), str(session["token"]), buttons[triggered], given, LiveIndex.of(index)
        )
        return outcome.message, "message ok" if outcome.ok else "message error"

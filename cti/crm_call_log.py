"""After a call, hand it to the CRM call-logging job (crm_connectors), with its disposition.

The disposition is usually entered in wrap-up, after the call has ended: a finished call waits
until its agent enters a code or leaves wrap-up, whichever comes first (at once when there is
no wrap-up). Submitting is one Redis round trip off the event loop and never raises.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime

from crm_connectors.service import CallDirection, CallLog, CallLogger
from queueing.events import DomainEvent, EventType

log = logging.getLogger(__name__)


class CrmCallLogging:
    def __init__(self, logger: CallLogger) -> None:
        self._logger = logger
        self._pending: dict[str, CallLog] = {}
        """Agent extension -> its last finished call, waiting for a disposition."""
        self._tasks: set[asyncio.Task[str | None]] = set()

    def on_event(self, event: DomainEvent) -> None:
        """An engine event listener (synchronous, cheap)."""
        agent = event.agent
        if agent is None:
            return
        if event.type is EventType.CALL_RELEASED and event.call_id and event.caller:
            talk = float(event.data.get("talk_seconds", 0.0))
            self._submit_pending(agent)
            self._pending[agent] = CallLog(
                tenant=event.tenant,
                call_id=event.call_id,
                number=event.caller,
                direction=CallDirection.INBOUND,
                duration_s=round(talk),
                agent=agent,
                disposition="",
                started_at=datetime.fromtimestamp(event.timestamp - talk, tz=UTC),
            )
        elif event.type is EventType.DISPOSITION_ENTERED:
            pending = self._pending.get(agent)
            if pending is not None and pending.call_id == event.call_id:
                self._pending[agent] = replace(pending, disposition=str(event.data.get("code", "")))
                self._submit_pending(agent)
        elif event.type is EventType.AGENT_STATE_CHANGED and event.data.get("state") != "WRAP_UP":
            self._submit_pending(agent)

    def _submit_pending(self, agent: str) -> None:
        call = self._pending.pop(agent, None)
        if call is None:
            return
        task = asyncio.get_running_loop().create_task(self._logger.submit_async(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for submissions under way (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

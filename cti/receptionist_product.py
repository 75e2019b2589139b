"""The receptionist console's backend in the running product (docs/receptionist.md): the
presence (`ReceptionistConsole`), the call actions (`ReceptionistCalls`) and the call history
(`CallNotes`) started together, each action and the history following the presence's feed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from cti.receptionist import ReceptionistConsole
from cti.receptionist_calls import ReceptionistCalls
from cti.receptionist_notes import CallNotes
from pbx_core.service import PbxService
from provisioning.service import ProvisioningService


@dataclass(frozen=True, slots=True)
class Receptionist:
    console: ReceptionistConsole
    calls: ReceptionistCalls
    notes: CallNotes
    task: asyncio.Task[None]
    """The presence's feed, for the product's life (cancel it to stop)."""

    def install(self, state: Any) -> None:
        """Hand the parts to the REST API (`cti/rest/receptionist.py` reads `app.state`)."""
        state.receptionist = self.console
        state.receptionist_calls = self.calls
        state.receptionist_notes = self.notes


async def start_receptionist(
    pbx: PbxService, provisioning: ProvisioningService, redis: Redis, prefix: str
) -> Receptionist:
    console = ReceptionistConsole(pbx, provisioning, redis, prefix)
    calls = ReceptionistCalls(console)
    console.follow(calls.on_event)
    notes = CallNotes(redis, prefix)
    await notes.load()
    console.follow(notes.on_changes)
    task = asyncio.create_task(console.run(), name="receptionist")
    return Receptionist(console, calls, notes, task)

"""Shared plumbing of mutations: run an engine command, turn refusals into GraphQL errors."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from cti.control import ControlError
from cti.graphql_api.errors import Refused


@strawberry.type(description="The engine accepted the command; its effects arrive as events.")
class CommandAccepted:
    accepted: bool = True
    call_id: strawberry.ID | None = None


async def run_command(command: Awaitable[object]) -> CommandAccepted:
    try:
        await command
    except ControlError as error:
        raise Refused(error.message, error.code) from error
    return CommandAccepted()

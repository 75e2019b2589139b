"""graphql-transport-ws handler that routes live subscriptions through SharedSubscriptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import CompleteMessage
from strawberry.types.execution import PreExecutionError

from cti.graphql_api.audience import audience_key
from cti.graphql_api.context import CtiContext
from cti.graphql_api.errors import Unauthenticated
from cti.graphql_api.shared import SharedResult, is_live_only_subscription


class SharedGraphQLTransportWSHandler(BaseGraphQLTransportWSHandler[CtiContext, None]):
    async def run_operation(self, operation: Operation[CtiContext, None]) -> None:
        context = self.context
        if not is_live_only_subscription(
            operation.query, operation.variables, operation.operation_name
        ):
            await super().run_operation(operation)
            return
        try:
            principal = await context.principal()
        except Unauthenticated:
            await super().run_operation(operation)  # reports the error the usual way
            return
        key = await audience_key(
            principal,
            context.services,
            operation.query,
            operation.variables,
            operation.operation_name,
        )
        if key is None:
            await super().run_operation(operation)  # its resolver reports why
            return

        async def start() -> Any:
            return await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )

        hub = context.services.shared_subscriptions
        try:
            async with hub.join(key, start) as results, aclosing(results):  # type: ignore[type-var]
                await self._send_shared_stream(operation, results)
            await operation.send_operation_message(
                CompleteMessage(id=operation.id, type="complete")
            )
        except GraphQLError as error:  # TooSlow, or an error the group's stream raised
            await operation.send_initial_errors([error])
        except Exception as error:
            if type(error).__name__ == "_OperationStreamClosed":
                return  # strawberry closed the socket (pre-execution error): nothing to send
            await self.handle_task_exception(error)
            await operation.send_initial_errors([GraphQLError(str(error))])

    async def _send_shared_stream(
        self, operation: Operation[CtiContext, None], results: AsyncIterator[SharedResult]
    ) -> None:
        """Like strawberry's `_send_result_stream`, but sends the group's pre-serialized JSON."""
        prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'
        first = True
        async for shared in results:
            if first and isinstance(shared.result, PreExecutionError):
                await self._handle_pre_execution_error(operation, shared.result)
                return
            first = False
            if operation.completed:
                return
            await self._send_text(prefix + shared.payload_json + "}")

    async def _send_text(self, text: str) -> None:
        adapter = self.websocket
        if isinstance(adapter, ASGIWebSocketAdapter):
            try:
                await adapter.ws.send_text(text)
            except WebSocketDisconnect as error:
                raise WebSocketDisconnected from error
        else:  # another integration: let it encode
            await adapter.send_json(json.loads(text))

"""GraphQL over Server-Sent Events (`graphql-sse` protocol, "distinct connections" mode).

strawberry speaks websockets and multipart, not graphql-sse, so this small endpoint runs the
same schema: `POST /graphql/stream` with the usual GraphQL JSON body and
`Accept: text/event-stream` streams `event: next` messages, then `event: complete`.
Authentication is the `Authorization: Bearer` header; when that token expires or is revoked
the stream sends an `UNAUTHENTICATED` error and completes (cti/stream_expiry.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from graphql import GraphQLError
from strawberry import Schema
from strawberry.http import process_result
from strawberry.types import ExecutionResult

from cti.connection_slots import TooManyConnections
from cti.graphql_api.context import CtiContext
from cti.stream_expiry import TokenEnded, until_token_ends, watch_token

SSE_PATH = "/graphql/stream"


def _message(event: str, data: Any) -> bytes:
    body = "" if data is None else json.dumps(data, separators=(",", ":"))
    return f"event: {event}\ndata: {body}\n\n".encode()


def sse_router(schema: Schema) -> APIRouter:
    router = APIRouter()

    @router.post(SSE_PATH, include_in_schema=False)
    async def graphql_sse(request: Request) -> StreamingResponse:
        try:
            body = await request.json()
        except ValueError as error:
            raise HTTPException(400, "body must be JSON") from error
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise HTTPException(400, "body must be a GraphQL request with a query")
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise HTTPException(400, "variables must be an object")
        context = CtiContext(request.app.state.services, request.headers.get("authorization"))
        context.request = request
        results = await schema.subscribe(
            body["query"],
            variable_values=variables,
            context_value=context,
            operation_name=body.get("operationName"),
        )

        async def stream() -> AsyncIterator[bytes]:
            # The slot is taken inside the stream, so it is given back however the stream ends;
            # the refusal is therefore an in-band error, like any other of this protocol.
            try:
                async with contextlib.AsyncExitStack() as slot:
                    try:
                        await slot.enter_async_context(context.connection_slot())
                    except TooManyConnections as error:
                        refused = GraphQLError(
                            str(error), extensions={"code": "TOO_MANY_CONNECTIONS"}
                        )
                        yield _message("next", {"errors": [refused.formatted]})
                        yield _message("complete", None)
                        return
                    settings = context.services.settings
                    watcher = asyncio.ensure_future(
                        watch_token(
                            context.services,
                            context.authorization(),
                            settings.stream_recheck_seconds,
                        )
                    )
                    slot.callback(watcher.cancel)
                    try:
                        async for result in until_token_ends(results, watcher):
                            assert isinstance(result, ExecutionResult)
                            yield _message("next", process_result(result))
                    except TokenEnded as ended:
                        gone = GraphQLError(str(ended), extensions={"code": "UNAUTHENTICATED"})
                        yield _message("next", {"errors": [gone.formatted]})
                    yield _message("complete", None)
            finally:
                await results.aclose()

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router

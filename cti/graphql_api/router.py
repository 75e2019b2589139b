"""The `/graphql` endpoint (HTTP + `graphql-transport-ws`) with token checks at connect."""

from __future__ import annotations

from typing import Any

from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from cti.graphql_api.context import CtiContext, get_context
from cti.graphql_api.errors import Unauthenticated
from cti.graphql_api.ws_handler import SharedGraphQLTransportWSHandler


class CtiGraphQLRouter(GraphQLRouter[CtiContext, None]):
    graphql_transport_ws_handler_class = SharedGraphQLTransportWSHandler

    async def on_ws_connect(self, context: CtiContext) -> UnsetType | dict[str, object] | None:
        """Refuse a websocket whose connection_init carries no valid token (closes 4403)."""
        try:
            principal = await context.principal()
        except Unauthenticated as error:
            raise ConnectionRejectionError({"message": error.message}) from error
        return {"tenant": principal.tenant, "username": principal.username}


def graphql_router(schema: Any, *, graphiql: bool) -> CtiGraphQLRouter:
    """`graphiql`: the in-browser IDE at GET /graphql, for development only."""
    return CtiGraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        # Subscriptions of one page share a connection; more than this is a runaway client.
        max_subscriptions_per_connection=20,
    )

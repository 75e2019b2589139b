"""The GraphQL schema: per-feature roots merged, with limits against abusive documents."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from cti.graphql_api.agents.mutations import AgentMutations
from cti.graphql_api.agents.queries import AgentQueries
from cti.graphql_api.agents.subscriptions import AgentSubscriptions
from cti.graphql_api.call_centers.mutations import CallCenterMutations
from cti.graphql_api.call_centers.queries import CallCenterQueries
from cti.graphql_api.call_centers.subscriptions import CallCenterSubscriptions
from cti.graphql_api.calls.mutations import CallMutations
from cti.graphql_api.calls.queries import CallQueries
from cti.graphql_api.calls.subscriptions import CallSubscriptions

Query = merge_types("Query", (CallCenterQueries, AgentQueries, CallQueries))
Mutation = merge_types("Mutation", (AgentMutations, CallCenterMutations, CallMutations))
Subscription = merge_types(
    "Subscription", (CallCenterSubscriptions, AgentSubscriptions, CallSubscriptions)
)


def build_schema(max_depth: int, max_aliases: int, max_tokens: int) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Factories, so each request gets fresh extension instances.
        extensions=[
            lambda: QueryDepthLimiter(max_depth=max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
        ],
    )

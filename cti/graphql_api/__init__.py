"""GraphQL API (strawberry): per-feature types, queries, mutations and subscriptions."""

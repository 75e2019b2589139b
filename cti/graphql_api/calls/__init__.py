"""GraphQL: calls."""

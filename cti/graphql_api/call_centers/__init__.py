"""GraphQL: call_centers."""

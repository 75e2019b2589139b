"""Redis key names owned by the CTI layer, in one place so every process agrees on them.

Every key starts with a prefix (`opencc` in production, a unique one per test) and the tenant,
so tenants never share a key and tests never touch each other's data.
"""

from __future__ import annotations

DEFAULT_PREFIX = "opencc"


def event_stream(prefix: str, tenant: str) -> str:
    """The per-tenant domain event log (docs/events.md)."""
    return f"{prefix}:{tenant}:events"


def snapshot_key(prefix: str, tenant: str, part: str) -> str:
    """One part of a tenant's live snapshot (docs/cti.md, "Snapshot layout")."""
    return f"{prefix}:{tenant}:snapshot:{part}"

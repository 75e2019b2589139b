"""Who is asking: the identity every REST and GraphQL request resolves to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    """Acts on its own state and its own calls."""
    SUPERVISOR = "supervisor"
    """Acts on the call centers it supervises (and the agents and calls in them)."""
    ADMIN = "admin"
    """Acts on everything within its tenant."""
    API = "api"
    """A CRM plugin's API token: tenant-wide reads and click-to-dial, no token management."""
    OPERATOR = "operator"
    """The platform operator, above the tenants: creates tenants and provisions any of them."""


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: str
    username: str
    role: Role
    extension: str | None = None
    call_centers: frozenset[str] = frozenset()
    """Call centers a supervisor supervises."""
    api_token_id: int | None = None

    @property
    def tenant_wide(self) -> bool:
        return self.role in (Role.ADMIN, Role.API)

"""Typed refusals: each names the field and the reason, and maps to one HTTP status."""

from __future__ import annotations


class ProvisioningError(Exception):
    """A change that cannot be made; `field` names what to fix, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Invalid(ProvisioningError):
    """The request breaks a rule of the model (422)."""


class Conflict(ProvisioningError):
    """The request collides with what exists: a duplicate name, extension or number (409)."""


class NotFound(ProvisioningError):
    """No such tenant, user, call center or schedule in this tenant (404)."""


class BuyoutRequired(Conflict):
    """A cancellation or downgrade beyond the free 25% costs a buyout that must be confirmed."""

    def __init__(self, field: str, reason: str, amount_cents: int) -> None:
        super().__init__(field, reason)
        self.amount_cents = amount_cents

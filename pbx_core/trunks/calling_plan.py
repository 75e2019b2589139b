"""Outgoing calling plan (service description ch. 7, Outgoing/Enhanced Outgoing Calling Plan):
which categories of outside numbers a tenant's users may call (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from common.number_categories import Category


@dataclass(frozen=True, slots=True)
class OutgoingPlan:
    denied: frozenset[Category] = frozenset()
    pin: frozenset[Category] = frozenset()
    """Called only after the caller keys its PIN (Enhanced Outgoing Calling Plan)."""

    def allows(self, category: Category) -> bool:
        # Emergency calls are never blocked, whatever an admin configured (Telecommunicatiewet:
        # 112 must be reachable from every line).
        return category is Category.EMERGENCY or category not in self.denied

    def needs_pin(self, category: Category) -> bool:
        # Nor held up: nobody keys a PIN while calling 112.
        return category is not Category.EMERGENCY and category in self.pin


DEFAULT_PLAN = OutgoingPlan(denied=frozenset({Category.PREMIUM_RATE}))
"""A new tenant's plan and the demo's: everything but premium-rate numbers (0900/0906/0909)."""

"""Incoming calling plan and intercept (service description ch. 7, IncomingCallingPlan and
InterceptGroup), pure: which calls a tenant or a user takes, by origin and by the category of the
calling number (the outgoing plan's classifier, `numbering.outside_number`)."""

from __future__ import annotations

from dataclasses import dataclass

from common.number_categories import Category
from pbx_core.trunks.calling_plan import OutgoingPlan

INTERCEPT_ROUTE = "!intercept"
"""The handler key (`PbxService.register_handler(..., numbers=[INTERCEPT_ROUTE])`) of the calls
from outside to an intercepted tenant: the application answers them with the intercept message
(never a number anyone can dial: `!` is no dial-pad key)."""
INTERCEPT_USER_ROUTE = "!intercept-user"
"""The handler key of the calls to an intercepted user (InterceptUser), from anyone: `called` is
the user's extension."""
INTERCEPTED_PLAN = OutgoingPlan(frozenset(c for c in Category if c is not Category.EMERGENCY))
"""An intercepted tenant or user calls nobody outside but 112 (`OutgoingPlan.allows` keeps 112
open)."""


@dataclass(frozen=True, slots=True)
class IncomingPlan:
    internal: bool = True
    """Calls from the tenant's own users."""
    external: bool = True
    """Calls from the carrier."""
    denied: frozenset[Category] = frozenset()
    """Categories of calling numbers refused (an external call only; a hidden or unreadable
    number has no category and passes unless `external` is off)."""

    def refusal(self, internal: bool, category: Category | None) -> str | None:
        """Why this call is refused (the SIP reason phrase), None when it is taken."""
        if internal:
            return None if self.internal else "Internal Calls Not Accepted"
        if not self.external:
            return "External Calls Not Accepted"
        if category is not None and category in self.denied:
            return "Calls From This Number Not Accepted"
        return None


ACCEPT_ALL = IncomingPlan()
"""A tenant without a stored plan, and a user following a tenant without one."""
REFUSED_CODE = 403
"""RFC 3261 403 Forbidden: the called party does not take this call (not busy, not unknown)."""

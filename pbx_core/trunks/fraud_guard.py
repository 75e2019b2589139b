"""Toll-fraud velocity guard (issue 15.5), pure: how many calls to costly categories a user and
a tenant may start within a sliding window. A hijacked phone or account dialling premium-rate or
far-away numbers in a burst is stopped after the first few calls instead of at the month's bill.

The shell feeds it each call about to leave (with its clock's `now`); calls it refuses are not
counted, so a blocked user is free again once its earlier calls leave the window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from common.number_categories import Category

GUARDED = frozenset({Category.INTERNATIONAL, Category.PREMIUM_RATE})
"""What toll fraud dials; national and mobile calls are not counted."""


@dataclass(frozen=True, slots=True)
class VelocityLimit:
    calls: int
    seconds: float


USER_LIMIT = VelocityLimit(calls=10, seconds=600)
"""A person rarely starts more than 10 international calls in 10 minutes."""
TENANT_LIMIT = VelocityLimit(calls=50, seconds=600)
"""A company of up to 150 people, with room for a busy export desk."""


@dataclass(frozen=True, slots=True)
class VelocityLimits:
    per_user: VelocityLimit = USER_LIMIT
    per_tenant: VelocityLimit = TENANT_LIMIT


DEFAULT_LIMITS = VelocityLimits()


def velocity_limits(per_user: int, per_tenant: int, minutes: int) -> VelocityLimits:
    """A tenant's own limits as provisioning stores them (docs/trunks.md, "Toll-fraud guard")."""
    seconds = minutes * 60.0
    return VelocityLimits(VelocityLimit(per_user, seconds), VelocityLimit(per_tenant, seconds))


@dataclass
class VelocityGuard:
    _starts: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    """(tenant, extension) or (tenant, "") -> start times inside the window."""

    def admit(
        self, tenant: str, extension: str, category: Category, now: float, limits: VelocityLimits
    ) -> str | None:
        """None: the call may go (and is counted); else why not."""
        if category not in GUARDED:
            return None
        user, company = (tenant, extension), (tenant, "")
        per_user, per_tenant = limits.per_user, limits.per_tenant
        if self._full(user, per_user, now):
            return f"{extension} started {per_user.calls} costly calls in {per_user.seconds:g} s"
        if self._full(company, per_tenant, now):
            return f"the tenant started {per_tenant.calls} costly calls in {per_tenant.seconds:g} s"
        self._starts.setdefault(user, deque()).append(now)
        self._starts.setdefault(company, deque()).append(now)
        return None

    def _full(self, key: tuple[str, str], limit: VelocityLimit, now: float) -> bool:
        starts = self._starts.get(key)
        if starts is None:
            return False
        while starts and starts[0] <= now - limit.seconds:
            starts.popleft()
        if not starts:
            del self._starts[key]  # memory stays bounded by the callers of the last window
            return False
        return len(starts) >= limit.calls

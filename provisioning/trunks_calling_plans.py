"""Outgoing calling plans (service description ch. 7, Outgoing Calling Plan; CallingLineID
DeliveryBlocking): per tenant, and per user replacing its tenant's, the number categories that
may not be called and those called only with a PIN (Enhanced Outgoing Calling Plan's
authorization code: the caller's own voice-portal PIN, docs/trunks.md); per user, the number
hidden on every call.

A tenant without a stored plan has the platform default (premium rate refused); the PBX applies
them (`pbx_core/trunks/calling_plan.py`); emergency calls are never refused, so `emergency` is
not accepted in a plan at all (a plan that seems to block 112 would mislead an admin).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import Column, Connection, Select, Table, delete, insert, select

from common.number_categories import MAX_EXTERNAL_CALLS, Category
from provisioning.errors import Invalid
from provisioning.models import users
from provisioning.trunks_models import TENANT_PLAN, calling_plans
from provisioning.unit import Transactions
from provisioning.user_store import tenant_row, user_row

DEFAULT_DENIED: tuple[str, ...] = (Category.PREMIUM_RATE.value,)
"""The platform's default plan, the demo's (contract.md: premium rate refused with 403)."""
NEVER_DENIED = frozenset({Category.EMERGENCY, Category.INTERNAL})
"""Emergency calls always go out; calls inside the company are not a trunk matter."""
ENTITY = "calling_plan"


@dataclass(frozen=True, slots=True)
class CallingPlanView:
    denied: list[str]
    """Category names, sorted."""
    hide_number: bool = False
    """Users only: the number is hidden on every outside call (`*67` for good)."""
    own: bool = True
    """Users: False when the user follows its tenant's plan (this is that plan)."""
    max_external_calls: int | None = None
    """Tenants only: calls to the carrier up at once (more get 486); None: no limit."""
    reject_anonymous: bool = False
    """Users only: calls from outside that hide their number are refused (433)."""
    pin: list[str] = field(default_factory=list)
    """Category names called only after the caller keys its PIN, sorted."""
    toll_fraud: dict[str, int] | None = None
    """Tenants only: the toll-fraud guard's limits, `{"per_user", "per_tenant", "minutes"}`
    (costly calls one user, and the whole tenant, may start within that many minutes); None:
    the platform's."""


@dataclass(frozen=True, slots=True)
class StoredPlans:
    """A tenant's plans as the PBX needs them."""

    tenant_denied: frozenset[Category]
    users_denied: dict[str, frozenset[Category]]
    """Extension -> its own plan (users following the tenant's plan are absent)."""
    hidden: frozenset[str]
    """Extensions whose number is always hidden."""
    max_external_calls: int | None
    rejecting_anonymous: frozenset[str]
    """Extensions that refuse calls without a number."""
    tenant_pin: frozenset[Category] = frozenset()
    users_pin: dict[str, frozenset[Category]] = field(default_factory=dict)
    """Extension -> the categories its own plan asks a PIN for (with `users_denied`)."""
    toll_fraud: dict[str, int] | None = None
    """The tenant's own toll-fraud limits (`CallingPlanView.toll_fraud`); None: the platform's."""


def denied_categories(names: Iterable[str], field_name: str = "denied") -> list[Category]:
    """Validated, deduplicated, sorted; Invalid names the offending entry."""
    chosen: set[Category] = set()
    for name in names:
        try:
            category = Category(name)
        except ValueError:
            allowed = ", ".join(sorted(c.value for c in Category if c not in NEVER_DENIED))
            raise Invalid(field_name, f"{name!r} is no number category ({allowed})") from None
        if category in NEVER_DENIED:
            raise Invalid(field_name, f"{category.value} calls cannot be restricted")
        chosen.add(category)
    return sorted(chosen)


def plan_row(connection: Connection, plans: Table, tenant: str, username: str) -> Any:
    """The row of the tenant's (`TENANT_PLAN`) or a user's plan in `plans`; None: none."""
    key = (plans.c.tenant == tenant) & (plans.c.username == username)
    return connection.execute(select(plans).where(key)).one_or_none()


TOLL_FRAUD_RANGES = {"per_user": (1, 1000), "per_tenant": (1, 10_000), "minutes": (1, 1440)}
"""The toll-fraud guard's limits a tenant may set: calls per user, per tenant, in minutes."""


def toll_fraud_limits(value: object) -> dict[str, int] | None:
    """Validated limits (every key, whole numbers in range), or None for the platform's."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(TOLL_FRAUD_RANGES):
        raise Invalid("toll_fraud", "give per_user, per_tenant and minutes, or null")
    for name, (low, high) in TOLL_FRAUD_RANGES.items():
        number = value[name]
        if type(number) is not int or not low <= number <= high:
            raise Invalid(f"toll_fraud.{name}", f"a whole number {low}-{high}")
    return {name: value[name] for name in TOLL_FRAUD_RANGES}


def _categories(denied: Iterable[str], pin: Iterable[str]) -> tuple[list[str], list[str]]:
    """The plan's two lists, validated; a category is refused or needs a PIN, never both."""
    refused = [c.value for c in denied_categories(denied)]
    with_pin = [c.value for c in denied_categories(pin, "pin")]
    both = sorted(set(refused) & set(with_pin))
    if both:
        raise Invalid("pin", f"{', '.join(both)} is refused already (take it out of denied)")
    return refused, with_pin


def _row(connection: Connection, tenant: str, username: str) -> CallingPlanView | None:
    row = plan_row(connection, calling_plans, tenant, username)
    if row is None:
        return None
    return CallingPlanView(
        sorted(row.denied or ()),
        row.hide_number,
        own=row.denied is not None,
        max_external_calls=row.max_external_calls,
        reject_anonymous=row.reject_anonymous,
        pin=sorted(row.pin or ()),
        toll_fraud=row.toll_fraud,
    )


def users_plans(tenant: str, plans: Table, *columns: Column[Any]) -> Select[Any]:
    """The extension and `columns` of each user of `tenant` with a row of its own in `plans`
    (keyed by tenant and username): a deleted user's row is left out."""
    return (
        select(users.c.extension, *columns)
        .join(plans, (plans.c.tenant == users.c.tenant) & (plans.c.username == users.c.username))
        .where(users.c.tenant == tenant)
    )


class CallingPlans:
    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    def tenant_plan(self, tenant: str) -> CallingPlanView:
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            stored = _row(connection, tenant, TENANT_PLAN)
        return stored or CallingPlanView(sorted(DEFAULT_DENIED))

    def user_plan(self, tenant: str, username: str) -> CallingPlanView:
        with self._tx.engine.connect() as connection:
            user_row(connection, tenant, username)
            own = _row(connection, tenant, username)
            if own is not None and own.own:
                return own
            tenants = _row(connection, tenant, TENANT_PLAN)
        denied = tenants.denied if tenants is not None else sorted(DEFAULT_DENIED)
        return CallingPlanView(
            denied,
            hide_number=own is not None and own.hide_number,
            own=False,
            reject_anonymous=own is not None and own.reject_anonymous,
            pin=tenants.pin if tenants is not None else [],
        )

    def set_tenant_plan(
        self,
        actor: str,
        tenant: str,
        denied: Iterable[str],
        max_external_calls: int | None = None,
        pin: Iterable[str] = (),
        toll_fraud: object = None,
    ) -> CallingPlanView:
        limits = toll_fraud_limits(toll_fraud)
        if max_external_calls is not None and not 0 <= max_external_calls <= MAX_EXTERNAL_CALLS:
            raise Invalid("max_external_calls", f"0-{MAX_EXTERNAL_CALLS}, or null for no limit")
        names, with_pin = _categories(denied, pin)
        made = CallingPlanView(
            names, max_external_calls=max_external_calls, pin=with_pin, toll_fraud=limits
        )
        with self._tx.change(actor, tenant) as unit:
            tenant_row(unit.connection, tenant)
            before = self._replace(unit.connection, tenant, TENANT_PLAN, made)
            unit.record(ENTITY, tenant, "update", before, asdict(made))
        return made

    def set_user_plan(
        self,
        actor: str,
        tenant: str,
        username: str,
        denied: Iterable[str] | None,
        hide_number: bool,
        reject_anonymous: bool = False,
        pin: Iterable[str] = (),
    ) -> CallingPlanView:
        """`denied` None: the user follows its tenant's plan, its PIN categories too (and keeps
        its own switches; a `pin` list then is refused)."""
        if denied is None and list(pin):
            raise Invalid("pin", "a user following its tenant's plan has the tenant's")
        with self._tx.change(actor, tenant) as unit:
            user_row(unit.connection, tenant, username)
            if denied is None:
                tenants = _row(unit.connection, tenant, TENANT_PLAN)
                follows = tenants.denied if tenants is not None else sorted(DEFAULT_DENIED)
                made = CallingPlanView(
                    follows,
                    hide_number,
                    own=False,
                    reject_anonymous=reject_anonymous,
                    pin=tenants.pin if tenants is not None else [],
                )
                stored = replace(made, denied=[], pin=[])
            else:
                names, with_pin = _categories(denied, pin)
                made = CallingPlanView(
                    names, hide_number, reject_anonymous=reject_anonymous, pin=with_pin
                )
                stored = made
            before = self._replace(unit.connection, tenant, username, stored)
            unit.record(ENTITY, username, "update", before, asdict(made))
        return made

    @staticmethod
    def _replace(
        connection: Connection, tenant: str, username: str, plan: CallingPlanView
    ) -> dict[str, object] | None:
        old = _row(connection, tenant, username)
        key = (calling_plans.c.tenant == tenant) & (calling_plans.c.username == username)
        connection.execute(delete(calling_plans).where(key))
        if plan.own or plan.hide_number or plan.reject_anonymous:
            connection.execute(
                insert(calling_plans).values(
                    tenant=tenant,
                    username=username,
                    # A user who follows its tenant's plan but hides its number: no own list.
                    denied=plan.denied if plan.own else None,
                    pin=plan.pin if plan.own else None,
                    hide_number=plan.hide_number,
                    max_external_calls=plan.max_external_calls,
                    reject_anonymous=plan.reject_anonymous,
                    toll_fraud=plan.toll_fraud,
                )
            )
        return None if old is None else asdict(old)

    def stored_plans(self, tenant: str) -> StoredPlans:
        """What the PBX applies (blocking, SQL)."""
        with self._tx.engine.connect() as connection:
            tenant_own = _row(connection, tenant, TENANT_PLAN)
            rows = connection.execute(
                users_plans(
                    tenant,
                    calling_plans,
                    calling_plans.c.denied,
                    calling_plans.c.hide_number,
                    calling_plans.c.reject_anonymous,
                    calling_plans.c.pin,
                )
            ).all()
        tenant_denied = tenant_own.denied if tenant_own is not None else list(DEFAULT_DENIED)
        tenant_pin = tenant_own.pin if tenant_own is not None else []
        return StoredPlans(
            frozenset(Category(name) for name in tenant_denied),
            {
                r.extension: frozenset(Category(name) for name in r.denied)
                for r in rows
                if r.denied is not None
            },
            frozenset(r.extension for r in rows if r.hide_number),
            tenant_own.max_external_calls if tenant_own is not None else None,
            frozenset(r.extension for r in rows if r.reject_anonymous),
            frozenset(Category(name) for name in tenant_pin),
            {
                r.extension: frozenset(Category(name) for name in r.pin or ())
                for r in rows
                if r.denied is not None
            },
            tenant_own.toll_fraud if tenant_own is not None else None,
        )

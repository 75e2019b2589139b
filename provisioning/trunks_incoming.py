"""Incoming calling plans and intercept (service description ch. 7, IncomingCallingPlan and
InterceptGroup): per tenant, and per user in place of its tenant's, which calls are taken (from
the tenant's own users, from outside, by the category of the calling number); per tenant, the
admin's switch that intercepts every call from outside with a message and blocks calls out.

The PBX applies both (`pbx_core/trunks/incoming_plan.py`, through `cti/pbx_trunks.py`); the
intercept message is played by `cti/intercept_calls.py`, which reads `intercept` at each call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, delete, insert, select

from common.e164 import to_e164
from group_services.config import check_destination
from provisioning.announcement_store import check_references
from provisioning.announcements import REFERENCE_PREFIX
from provisioning.errors import Invalid
from provisioning.models import numbers
from provisioning.trunks_calling_plans import denied_categories, plan_row, users_plans
from provisioning.trunks_models import TENANT_PLAN, incoming_plans, intercepts
from provisioning.unit import Transactions
from provisioning.user_store import tenant_row, user_row
from queueing.errors import ConfigError

PLAN_ENTITY = "incoming_plan"
INTERCEPT_ENTITY = "intercept"
"""The audit log's and the listeners' names of changes here (the PBX reloads its routing)."""
LANGUAGES = frozenset({"nl", "en"})
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class IncomingPlanView:
    internal: bool = True
    """Calls from the tenant's own users are taken."""
    external: bool = True
    """Calls from outside are taken."""
    denied: list[str] | None = None
    """Categories of calling numbers refused, sorted (as the outgoing plan names them)."""
    own: bool = True
    """Users: False when the user follows its tenant's plan (this is that plan)."""

    def __post_init__(self) -> None:
        if self.denied is None:
            object.__setattr__(self, "denied", [])


@dataclass(frozen=True, slots=True)
class InterceptView:
    enabled: bool = False
    announcement: str | None = None
    """`announcement:<name>`, the tenant's upload; played instead of `text` when its file is
    there."""
    text: str | None = None
    """Spoken by espeak-ng; None: the platform's sentence in `language`."""
    language: str = "nl"
    alternate: str | None = None
    """Where the caller goes after the message; None: the call ends."""


@dataclass(frozen=True, slots=True)
class StoredIncoming:
    """A tenant's incoming plans as the PBX needs them."""

    tenant: IncomingPlanView | None
    users: dict[str, IncomingPlanView]
    """Extension -> its own plan."""
    intercepted: bool


def _plan(connection: Connection, tenant: str, username: str) -> IncomingPlanView | None:
    row = plan_row(connection, incoming_plans, tenant, username)
    if row is None:
        return None
    return IncomingPlanView(row.internal, row.external, sorted(row.denied))


def _intercept(connection: Connection, tenant: str) -> InterceptView:
    row = connection.execute(select(intercepts).where(intercepts.c.tenant == tenant)).one_or_none()
    if row is None:
        return InterceptView()
    return InterceptView(row.enabled, row.announcement, row.text, row.language, row.alternate)


def _not_own_number(connection: Connection, tenant: str, alternate: str | None) -> None:
    """An alternate that is one of the tenant's own direct numbers would send each caller out
    to the carrier and back in, intercepted again: a loop at the company's cost."""
    e164 = to_e164(alternate)
    key = (numbers.c.tenant == tenant) & (numbers.c.number == e164)
    if e164 is not None and connection.execute(select(numbers.c.number).where(key)).first():
        raise Invalid("alternate", f"{e164} is this tenant's own number: it is intercepted too")


def check_intercept(wanted: InterceptView) -> None:
    """The rules of an intercept's settings that need no database (InterceptUser's too)."""
    if wanted.language not in LANGUAGES:
        raise Invalid("language", f"one of {', '.join(sorted(LANGUAGES))}")
    if wanted.text is not None and not 1 <= len(wanted.text.strip()) <= MAX_TEXT:
        raise Invalid("text", f"1-{MAX_TEXT} characters, or null for the platform's own")
    if wanted.alternate is not None:
        try:
            check_destination("alternate", wanted.alternate)
        except ConfigError as error:
            raise Invalid("alternate", error.message) from None
    if wanted.announcement is not None and not wanted.announcement.startswith(REFERENCE_PREFIX):
        raise Invalid("announcement", f"write {REFERENCE_PREFIX}<name>")


class IncomingPlans:
    def __init__(self, transactions: Transactions) -> None:
        self._tx = transactions

    def tenant_plan(self, tenant: str) -> IncomingPlanView:
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            return _plan(connection, tenant, TENANT_PLAN) or IncomingPlanView()

    def user_plan(self, tenant: str, username: str) -> IncomingPlanView:
        with self._tx.engine.connect() as connection:
            user_row(connection, tenant, username)
            own = _plan(connection, tenant, username)
            if own is not None:
                return own
            tenants = _plan(connection, tenant, TENANT_PLAN) or IncomingPlanView()
        return IncomingPlanView(tenants.internal, tenants.external, tenants.denied, own=False)

    def set_tenant_plan(
        self, actor: str, tenant: str, internal: bool, external: bool, denied: Iterable[str]
    ) -> IncomingPlanView:
        made = IncomingPlanView(internal, external, [c.value for c in denied_categories(denied)])
        self._save(actor, tenant, TENANT_PLAN, made)
        return made

    def set_user_plan(
        self,
        actor: str,
        tenant: str,
        username: str,
        plan: tuple[bool, bool, Iterable[str]] | None,
    ) -> IncomingPlanView:
        """`plan` (internal, external, denied); None: the user follows its tenant's plan."""
        made = None
        if plan is not None:
            internal, external, denied = plan
            names = [c.value for c in denied_categories(denied)]
            made = IncomingPlanView(internal, external, names)
        self._save(actor, tenant, username, made)
        return made or self.user_plan(tenant, username)

    def _save(self, actor: str, tenant: str, username: str, plan: IncomingPlanView | None) -> None:
        """The plan of the tenant (`TENANT_PLAN`) or of a user in place of the stored one (None:
        none, the user follows the tenant), audited."""
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            if username == TENANT_PLAN:
                tenant_row(connection, tenant)
            else:
                user_row(connection, tenant, username)
            old = _plan(connection, tenant, username)
            key = (incoming_plans.c.tenant == tenant) & (incoming_plans.c.username == username)
            connection.execute(delete(incoming_plans).where(key))
            if plan is not None:
                values = {"internal": plan.internal, "external": plan.external}
                connection.execute(
                    insert(incoming_plans).values(
                        tenant=tenant, username=username, denied=plan.denied, **values
                    )
                )
            unit.record(PLAN_ENTITY, username or tenant, "update",
                        None if old is None else asdict(old),
                        None if plan is None else asdict(plan))  # fmt: skip

    # Intercept.

    def intercept(self, tenant: str) -> InterceptView:
        with self._tx.engine.connect() as connection:
            tenant_row(connection, tenant)
            return _intercept(connection, tenant)

    def set_intercept(self, actor: str, tenant: str, wanted: InterceptView) -> InterceptView:
        check_intercept(wanted)
        with self._tx.change(actor, tenant) as unit:
            connection = unit.connection
            tenant_row(connection, tenant)
            check_references(connection, tenant, {"announcement": wanted.announcement})
            _not_own_number(connection, tenant, wanted.alternate)
            before = _intercept(connection, tenant)
            connection.execute(delete(intercepts).where(intercepts.c.tenant == tenant))
            connection.execute(insert(intercepts).values(tenant=tenant, **asdict(wanted)))
            unit.record(INTERCEPT_ENTITY, tenant, "update", asdict(before), asdict(wanted))
        return wanted

    def stored(self, tenant: str) -> StoredIncoming:
        """What the PBX applies (blocking, SQL)."""
        with self._tx.engine.connect() as connection:
            plan = incoming_plans.c
            query = users_plans(tenant, incoming_plans, plan.internal, plan.external, plan.denied)
            rows = connection.execute(query).all()
            return StoredIncoming(
                _plan(connection, tenant, TENANT_PLAN),
                {r.extension: IncomingPlanView(r.internal, r.external, r.denied) for r in rows},
                _intercept(connection, tenant).enabled,
            )

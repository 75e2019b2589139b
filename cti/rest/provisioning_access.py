"""Who may provision what, how the admin API reaches the `ProvisioningService`, and how a
refusal becomes an HTTP answer.

Rules (contract.md, Provisioning): the operator may do everything in every tenant; a tenant
admin everything in its own tenant; a supervisor may only read its own tenant (not the audit
log); agents and API tokens nothing here. Another tenant's routes answer 403, whatever exists.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, ParamSpec, TypeVar, assert_never

from fastapi import Depends, HTTPException, Path, Request, status
from starlette.concurrency import run_in_threadpool

from cti.password_pool import PasswordPool
from cti.passwords import hash_password
from cti.principal import Principal, Role
from cti.provisioning_demo import demo_tenant_spec
from cti.provisioning_relay import PROVISIONING, publish_changes
from cti.rest.deps import CurrentPrincipal, Services
from cti.settings import CtiSettings
from cti.users import make_engine
from provisioning.db import migrate
from provisioning.errors import BuyoutRequired, Conflict, Invalid, NotFound, ProvisioningError
from provisioning.service import ProvisioningService


class Need(StrEnum):
    READ = "read"
    WRITE = "write"
    AUDIT = "audit"


def allowed(principal: Principal, tenant: str, need: Need) -> bool:
    match principal.role:
        case Role.OPERATOR:
            return True
        case Role.ADMIN:
            return principal.tenant == tenant
        case Role.SUPERVISOR:
            return principal.tenant == tenant and need is Need.READ
        case Role.AGENT | Role.API:
            return False
        case _:
            assert_never(principal.role)


def _authorize(need: Need) -> Callable[..., Principal]:
    def check(principal: CurrentPrincipal, tenant: TenantId) -> Principal:
        if not allowed(principal, tenant, need):
            raise HTTPException(status.HTTP_403_FORBIDDEN, _body("tenant", f"may not {need} here"))
        return principal

    return check


TenantId = Annotated[
    str, Path(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$", description="Tenant id")
]
Reader = Annotated[Principal, Depends(_authorize(Need.READ))]
Writer = Annotated[Principal, Depends(_authorize(Need.WRITE))]
Auditor = Annotated[Principal, Depends(_authorize(Need.AUDIT))]


def require_operator(principal: CurrentPrincipal) -> Principal:
    if principal.role is not Role.OPERATOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, _body("role", "operator role required"))
    return principal


Operator = Annotated[Principal, Depends(require_operator)]

_starting = threading.Lock()


def get_provisioning(request: Request, services: Services) -> ProvisioningService:
    """The app's service, made on first use: this router plugs into the app with one line."""
    state = request.app.state
    with _starting:
        if getattr(state, "provisioning", None) is None:
            settings = services.settings
            state.provisioning = settings.provisioning or _own_service(request, settings)
    service: ProvisioningService = state.provisioning
    return service


def _own_service(request: Request, settings: CtiSettings) -> ProvisioningService:
    engine = make_engine(settings.database_url)
    weakref.finalize(request.app, engine.dispose)
    migrate(engine)
    pool = PasswordPool(settings.password_cost)  # a CSV import's web passwords over the cores
    weakref.finalize(request.app, pool.close)
    hasher = partial(hash_password, cost=settings.password_cost)
    made = ProvisioningService(engine, hasher, hash_many=pool.hash_all)
    # Logins without @tenant land in the default tenant: it must exist to be provisioned.
    made.ensure_tenant("system", demo_tenant_spec(settings.default_tenant))
    made.subscribe(request.app.state.revoke_on_change)
    # Another process (the product) runs the PBX and the engine: tell it of each change.
    publish_changes(
        settings.redis_url, settings.key_prefix, PROVISIONING, made.transactions, request.app
    )
    return made


Provisioning = Annotated[ProvisioningService, Depends(get_provisioning)]


def _body(field: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"field": field, "reason": reason, **extra}


def _http(error: ProvisioningError) -> HTTPException:
    if isinstance(error, BuyoutRequired):
        detail = _body(error.field, error.reason, buyout_cents=error.amount_cents)
        return HTTPException(status.HTTP_409_CONFLICT, detail)
    if isinstance(error, Conflict):
        return HTTPException(status.HTTP_409_CONFLICT, _body(error.field, error.reason))
    if isinstance(error, NotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, _body(error.field, error.reason))
    if isinstance(error, Invalid):
        return HTTPException(422, _body(error.field, error.reason))
    raise error


P = ParamSpec("P")
R = TypeVar("R")


async def call(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a service call off the event loop (SQL, scrypt); refusals as HTTP answers."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except ProvisioningError as error:
        raise _http(error) from None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed for this role or tenant; body names `field` and `reason`"},
    404: {"description": "No such tenant or entity; body names `field` and `reason`"},
    409: {"description": "Duplicate username, extension or number; or a buyout to confirm"},
    422: {"description": "Invalid field; body names `field` and `reason`"},
}

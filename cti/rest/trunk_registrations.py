"""Where the trunks that register to their carriers stand (issue 15.1: "state visible on
`/metrics` and to the admin"): a tenant admin (and its supervisors) reads its own trunks', the
operator the platform's; Prometheus gets every trunk's (`RegistrationCollector`).

The states live in the PBX (`PbxService.carrier_registrations`); the product hands that reader
to the app as `app.state.carrier_registrations`. An API process without a PBX shows none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Literal

from fastapi import APIRouter, Request
from prometheus_client.core import GaugeMetricFamily
from pydantic import BaseModel

from cti.rest.provisioning_access import ERRORS, Operator, Provisioning, Reader, TenantId, call
from pbx_core.sip.carrier_registration import RegistrationStatus
from provisioning.trunks_store import Trunks

Statuses = Callable[[], Sequence[RegistrationStatus]]

router = APIRouter(tags=["provisioning"], responses=ERRORS)


class RegistrationOut(BaseModel):
    trunk_id: int
    host: str
    port: int
    state: Literal["registering", "registered", "failed"]
    registered_for_seconds: float
    failures: int
    """Failed attempts in a row; the next waits longer each time (docs/trunks.md)."""
    last_error: str


def _statuses(request: Request) -> dict[str, RegistrationStatus]:
    reader: Statuses | None = getattr(request.app.state, "carrier_registrations", None)
    return {} if reader is None else {s.key: s for s in reader()}


def _out(
    trunk_ids: Sequence[int], statuses: dict[str, RegistrationStatus]
) -> list[RegistrationOut]:
    found = []
    for trunk_id in trunk_ids:
        status = statuses.get(str(trunk_id))
        if status is not None:
            found.append(
                RegistrationOut(
                    trunk_id=trunk_id,
                    host=status.host,
                    port=status.port,
                    state=status.state.value,
                    registered_for_seconds=round(status.registered_for, 1),
                    failures=status.failures,
                    last_error=status.last_error,
                )
            )
    return found


@router.get("/api/v1/tenants/{tenant}/trunks/registrations")
async def tenant_registrations(
    tenant: TenantId, _: Reader, service: Provisioning, request: Request
) -> list[RegistrationOut]:
    """The registration of each of the tenant's own trunks that registers."""
    own = await call(Trunks(service.transactions).trunks_of, tenant)
    return _out([t.id for t in own], _statuses(request))


@router.get("/api/v1/trunks/registrations")
async def platform_registrations(
    _: Operator, service: Provisioning, request: Request
) -> list[RegistrationOut]:
    """The registration of each platform trunk that registers (operator)."""
    platform = await call(Trunks(service.transactions).trunks_of, None)
    return _out([t.id for t in platform], _statuses(request))


class RegistrationCollector:
    """`opencc_carrier_registered{trunk,host}` (1 registered, 0 not) and
    `opencc_carrier_registration_failures{trunk,host}` (failed attempts in a row), read from the
    PBX at scrape time."""

    def __init__(self, statuses: Statuses) -> None:
        self._statuses = statuses

    def collect(self) -> Iterator[GaugeMetricFamily]:
        registered = GaugeMetricFamily(
            "opencc_carrier_registered",
            "Whether a trunk's registration to its carrier is in force",
            labels=["trunk", "host"],
        )
        failures = GaugeMetricFamily(
            "opencc_carrier_registration_failures",
            "Failed registration attempts in a row",
            labels=["trunk", "host"],
        )
        for status in self._statuses():
            labels = [status.key, f"{status.host}:{status.port}"]
            registered.add_metric(labels, 1.0 if status.state.value == "registered" else 0.0)
            failures.add_metric(labels, float(status.failures))
        yield registered
        yield failures

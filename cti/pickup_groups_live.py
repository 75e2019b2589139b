"""The PBX's call pickup groups (`PickupGroupsTable`, pbx_core/features/pickup_groups.py) kept
current from provisioning: every tenant at start-up, a tenant again after each change of its
groups (docs/phone-features.md, "Pickup groups")."""

from __future__ import annotations

from sqlalchemy import Engine

from pbx_core.features.pickup_groups import PickupGroupsTable
from pbx_core.service import PbxService
from provisioning.pickup_groups_store import ENTITY, PickupGroupsService
from provisioning.service import ProvisioningService
from provisioning.unit import Change


class LivePickupGroups:
    def __init__(self, service: PickupGroupsService, table: PickupGroupsTable) -> None:
        self._service = service
        self._table = table
        service.subscribe(self._on_change)

    def load(self, tenant: str) -> None:
        """Blocking (SQL): call it off the event loop."""
        groups = {g.name: g.members for g in self._service.groups(tenant)}
        self._table.replace_tenant(tenant, groups)

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            self.load(change.tenant)


def wire_pickup_groups(
    pbx: PbxService, provisioning: ProvisioningService, database: Engine
) -> PickupGroupsService:
    """The PBX's table filled and kept current; the service the REST API changes it through
    (app.state.pickup_groups). Blocking (SQL): call it off the event loop."""
    service = PickupGroupsService(database)
    live = LivePickupGroups(service, pbx.pickup_groups)
    for tenant in provisioning.tenant_ids():
        live.load(tenant)
    return service

"""The PBX's intercom choices (`IntercomTable`, pbx_core/features/intercom.py) kept current
from provisioning: every tenant at start-up, a tenant again after each change of a user's
choice (docs/phone-features.md, "Intercom")."""

from __future__ import annotations

from sqlalchemy import Engine

from pbx_core.features.intercom import IntercomSetting, IntercomTable
from pbx_core.service import PbxService
from provisioning.intercom_store import ENTITY, IntercomService
from provisioning.service import ProvisioningService
from provisioning.unit import Change


class LiveIntercom:
    def __init__(self, service: IntercomService, table: IntercomTable) -> None:
        self._service = service
        self._table = table
        service.subscribe(self._on_change)

    def load(self, tenant: str) -> None:
        """Blocking (SQL): call it off the event loop."""
        choices = self._service.choices(tenant)
        self._table.replace_tenant(
            tenant,
            (
                (c.extension, IntercomSetting(c.accept, frozenset(c.allowed), c.barge_in_exempt))
                for c in choices
            ),
        )

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            self.load(change.tenant)


def wire_intercom(
    pbx: PbxService, provisioning: ProvisioningService, database: Engine
) -> IntercomService:
    """The PBX's table filled and kept current; the service the REST API changes it through
    (app.state.intercom). Blocking (SQL): call it off the event loop."""
    service = IntercomService(database)
    live = LiveIntercom(service, pbx.intercom)
    for tenant in provisioning.tenant_ids():
        live.load(tenant)
    return service

"""The PBX's speed dial lists, kept equal to provisioning: filled at start-up, one user's list
replaced after each committed change to it, the whole tenant again after a change to its users
(a new user, a changed profile or extension). Only the slots the profile includes reach the PBX."""

from __future__ import annotations

from pbx_core.features.speed_dial import SpeedDialTable
from provisioning.service import ProvisioningService
from provisioning.speed_dial import dialled_list
from provisioning.speed_dial_store import ENTITY, SpeedDialService
from provisioning.unit import Change


class LiveSpeedDials:
    def __init__(
        self,
        speed_dials: SpeedDialService,
        provisioning: ProvisioningService,
        table: SpeedDialTable,
    ) -> None:
        self._speed_dials = speed_dials
        self._provisioning = provisioning
        self._table = table
        # Listeners run in the committing thread (a REST worker's or the feature-code task's),
        # so the SQL below never blocks the event loop.
        speed_dials.subscribe(self._on_change)
        provisioning.subscribe(self._on_change)

    def load_all(self) -> None:
        """Blocking (SQL): call it off the event loop."""
        for tenant in self._provisioning.tenant_ids():
            self.load(tenant)

    def load(self, tenant: str) -> None:
        views = self._speed_dials.all(tenant)
        lists = ((v.extension, dialled_list(v.entries, v.profile)) for v in views)
        self._table.replace_tenant(tenant, lists)

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            view = self._speed_dials.get(change.tenant, change.key)
            self._table.put(change.tenant, view.extension, dialled_list(view.entries, view.profile))
        elif change.entity == "user":
            self.load(change.tenant)

"""The PBX's alternate numbers, kept equal to provisioning: filled at start-up, the tenant's
again after each committed change to a user's alternates or to its users (a new user, a changed
profile or extension, a deleted user). Only users whose profile includes AlternateNumbers ring
at theirs (a downgraded profile keeps its list, which does nothing until it is upgraded again)."""

from __future__ import annotations

from pbx_core.features.alternates import Alternate, AlternatesTable
from provisioning.alternate_numbers import FEATURE
from provisioning.alternate_numbers_store import ENTITY, AlternateNumbersService
from provisioning.profiles import FEATURES
from provisioning.service import ProvisioningService
from provisioning.unit import Change


class LiveAlternates:
    def __init__(
        self,
        alternates: AlternateNumbersService,
        provisioning: ProvisioningService,
        table: AlternatesTable,
    ) -> None:
        self._alternates = alternates
        self._provisioning = provisioning
        self._table = table
        # Listeners run in the committing thread (a REST worker's), never on the event loop.
        alternates.subscribe(self._on_change)
        provisioning.subscribe(self._on_change)

    def load_all(self) -> None:
        """Blocking (SQL): call it off the event loop."""
        for tenant in self._provisioning.tenant_ids():
            self.load(tenant)

    def load(self, tenant: str) -> None:
        self._table.replace_tenant(
            tenant,
            (
                Alternate(tenant, number, view.extension, place)
                for view in self._alternates.all(tenant)
                if FEATURE in FEATURES[view.profile]
                for place, number in enumerate(view.numbers, start=1)
            ),
        )

    def _on_change(self, change: Change) -> None:
        if change.entity in (ENTITY, "user"):
            self.load(change.tenant)

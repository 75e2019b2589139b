"""The PBX's custom ringbacks, kept equal to provisioning: filled at start-up, the tenant's again
after each committed change to a user's ringback or to its users. Only users whose profile
includes CustomRingbackUser get theirs (a downgraded profile keeps its choice, unplayed)."""

from __future__ import annotations

from pbx_core.features.ringback import RingbackTable
from provisioning.announcements import prompt_name, reference
from provisioning.custom_ringback import ENTITY, FEATURE, CustomRingbackService
from provisioning.profiles import FEATURES
from provisioning.service import ProvisioningService
from provisioning.unit import Change


class LiveRingbacks:
    def __init__(
        self,
        ringbacks: CustomRingbackService,
        provisioning: ProvisioningService,
        table: RingbackTable,
    ) -> None:
        self._ringbacks = ringbacks
        self._provisioning = provisioning
        self._table = table
        # Listeners run in the committing thread (a REST worker's), never on the event loop.
        ringbacks.subscribe(self._on_change)
        provisioning.subscribe(self._on_change)

    def load_all(self) -> None:
        """Blocking (SQL): call it off the event loop."""
        for tenant in self._provisioning.tenant_ids():
            self.load(tenant)

    def load(self, tenant: str) -> None:
        prompts = (
            (view.extension, prompt_name(tenant, reference(view.announcement)))
            for view in self._ringbacks.all(tenant)
            if view.announcement and FEATURE in FEATURES[view.profile]
        )
        self._table.replace_tenant(tenant, ((e, p) for e, p in prompts if p is not None))

    def _on_change(self, change: Change) -> None:
        if change.entity in (ENTITY, "user"):
            self.load(change.tenant)

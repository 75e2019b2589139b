"""The PBX's table of forwarding and do-not-disturb, kept equal to provisioning: filled at
start-up, one user's row replaced after each committed change to their services, the whole
tenant again after a change to its users (a new user, a changed profile or extension)."""

from __future__ import annotations

from pbx_core.features.diversion import Forwarding
from pbx_core.features.table import ServicesTable
from provisioning.profiles import FEATURES
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from provisioning.user_services_store import ENTITY, UserServicesService, UserServicesView


def pbx_forwarding(view: UserServicesView) -> Forwarding:
    """What the PBX applies: only the services the user's profile includes."""
    services = view.services.without_features_of(view.profile)
    return Forwarding(
        forward_always=services.forward_always,
        forward_busy=services.forward_busy,
        forward_no_answer=services.forward_no_answer,
        no_answer_seconds=float(services.no_answer_seconds),
        forward_not_reachable=services.forward_not_reachable,
        do_not_disturb=services.do_not_disturb,
        may_inhibit="DiversionInhibitor" in FEATURES[view.profile],
    )


class LiveUserServices:
    def __init__(
        self,
        services: UserServicesService,
        provisioning: ProvisioningService,
        table: ServicesTable,
        tenant: str,
    ) -> None:
        self._services = services
        self._table = table
        self._tenant = tenant
        # Listeners run in the thread that committed the change (a REST worker thread or the
        # feature-code task's), so the SQL reads below never block the event loop.
        services.subscribe(self._on_change)
        provisioning.subscribe(self._on_change)

    def load(self) -> None:
        """Blocking (SQL): call it off the event loop."""
        views = self._services.all(self._tenant)
        self._table.replace_tenant(self._tenant, ((v.extension, pbx_forwarding(v)) for v in views))

    def _on_change(self, change: Change) -> None:
        if change.tenant != self._tenant:
            return
        if change.entity == ENTITY:
            view = self._services.get(self._tenant, change.key)
            self._table.put(self._tenant, view.extension, pbx_forwarding(view))
        elif change.entity == "user":
            self.load()

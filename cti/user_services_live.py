"""The PBX's table of forwarding and do-not-disturb, kept equal to provisioning: filled at
start-up, one user's row replaced after each committed change to their services, the whole
tenant again after a change to its users (a new user, a changed profile or extension)."""

from __future__ import annotations

from pbx_core.features.diversion import N_WAY_OTHERS, THREE_WAY_OTHERS, Forwarding
from pbx_core.features.table import ServicesTable
from provisioning.errors import NotFound
from provisioning.profiles import FEATURES, Profile
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
        conference_others=conference_others(view.profile),
        call_waiting=services.call_waiting,
        features=FEATURES[view.profile],
        profile=view.profile.value,
        language=view.language,
    )


def conference_others(profile: Profile) -> int:
    """NWayCall includes ThreeWayCall's two others (ch. 7)."""
    features = FEATURES[profile]
    if "NWayCall" in features:
        return N_WAY_OTHERS
    return THREE_WAY_OTHERS if "ThreeWayCall" in features else 0


class LiveUserServices:
    """Every tenant's users: a tenant created later is loaded with its first user."""

    def __init__(
        self,
        services: UserServicesService,
        provisioning: ProvisioningService,
        table: ServicesTable,
    ) -> None:
        self._services = services
        self._provisioning = provisioning
        self._table = table
        # Listeners run in the thread that committed the change (a REST worker thread or the
        # feature-code task's), so the SQL reads below never block the event loop.
        services.subscribe(self._on_change)
        provisioning.subscribe(self._on_change)

    def load_all(self) -> None:
        """Blocking (SQL): call it off the event loop."""
        for tenant in self._provisioning.tenant_ids():
            self.load(tenant)

    def load(self, tenant: str) -> None:
        views = self._services.all(tenant)
        self._table.replace_tenant(tenant, ((v.extension, pbx_forwarding(v)) for v in views))

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            view = self._services.get(change.tenant, change.key)
            self._table.put(change.tenant, view.extension, pbx_forwarding(view))
        elif change.entity == "user":
            self.load(change.tenant)


def profile_of(services: UserServicesService, tenant: str, extension: str) -> str | None:
    """The profile (seed 3.1) of a tenant's extension, for call-detail records; None: no such
    user (deleted meanwhile). Blocking (SQL)."""
    try:
        return services.by_extension(tenant, extension).profile.value
    except NotFound:
        return None

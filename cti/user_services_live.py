"""The PBX's table of forwarding and do-not-disturb, kept equal to provisioning: filled at
start-up, one user's row replaced after each committed change to their services, the whole
tenant again after a change to its users (a new user, a changed profile or extension) or to a
schedule (selective services' rules name them)."""

from __future__ import annotations

from cti.selective_services import pbx_selective
from pbx_core.features.diversion import N_WAY_OTHERS, THREE_WAY_OTHERS, Forwarding
from pbx_core.features.table import ServicesTable
from provisioning.errors import NotFound
from provisioning.profiles import FEATURES, Profile
from provisioning.schedules import ScheduleKind
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from provisioning.user_services_store import (
    ENTITY,
    TenantSchedules,
    UserServicesService,
    UserServicesView,
)


def pbx_forwarding(view: UserServicesView, schedules: TenantSchedules) -> Forwarding:
    """What the PBX applies: only the services the user's profile includes (`schedules`: the
    tenant's, which selective services' rules name)."""
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
        selective=pbx_selective(services.selective, schedules),
        privacy=frozenset(services.privacy_permitted) if services.privacy else None,
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
        schedules = self._services.schedules(tenant)
        self._table.replace_tenant(
            tenant, ((v.extension, pbx_forwarding(v, schedules)) for v in views)
        )

    def _on_change(self, change: Change) -> None:
        if change.entity == ENTITY:
            view = self._services.get(change.tenant, change.key)
            schedules = self._services.schedules(change.tenant)
            self._table.put(change.tenant, view.extension, pbx_forwarding(view, schedules))
        elif change.entity in ("user", "tenant") or change.entity in set(ScheduleKind):
            # A user added or renumbered, a relay's resync of the tenant (all of it), or a
            # schedule that selective rules may name.
            self.load(change.tenant)


def profile_of(services: UserServicesService, tenant: str, extension: str) -> str | None:
    """The profile (seed 3.1) of a tenant's extension, for call-detail records; None: no such
    user (deleted meanwhile). Blocking (SQL)."""
    try:
        return services.by_extension(tenant, extension).profile.value
    except NotFound:
        return None

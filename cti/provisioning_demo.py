"""The demo company (contract.md, "Demo company") created through the `ProvisioningService`, and
the demo's platform operator.

The company is made once: its users when the tenant has none, its call centers (with exactly the
engine settings of `cti.demo_company`) when it has none. A restart therefore keeps every change
an admin made through the API (a password, a setting, a deleted user).

The operator is a sign-in account above the tenants: an account in provisioning's `prov_accounts`
(it is no tenant's user), in the default tenant, so `POST /api/v1/auth/token` with a bare
`operator` finds it.
"""

from __future__ import annotations

from datetime import date

from cti.belmenu_demo import seed_demo_belmenu
from cti.bridge_rooms_demo import seed_demo_rooms
from cti.demo_company import DEMO_TENANT, demo_tenant_config
from cti.group_services_demo import seed_demo_groups
from cti.passwords import verify_password
from cti.principal import Role
from cti.trunks_demo import seed_demo_numbers
from cti.users import SUPERVISOR_EXTENSION, UserDirectory
from provisioning.call_centers import api_form
from provisioning.errors import NotFound
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec
from provisioning.users import Licences, RecordingMode, Tier, UserRole, UserSpec

DEMO_OPERATOR = ("operator", "pwoperator")
DEMO_SIP_DOMAIN = "127.0.0.1"
"""The demo tenant's realm (contract.md: the demo phones register at 127.0.0.1)."""
DEMO_PASSWORD_LENGTH = 6
"""The contract's demo passwords (`pw1001`) are shorter than an admin may choose."""
SEEDED_BY = "demo-seed"
DEMO_AGENTS = tuple(str(n) for n in range(1001, 1011))
ADMIN_EXTENSION = "1101"
MEETING_ROOM = "1020"
"""A Vergaderzaal (meeting-room) profile: no forwarding, no do-not-disturb, so a refused
feature code can be tried (`*72 1001` from 1020 answers that the profile lacks it)."""
AGENT_LICENCES = Licences(call_center=Tier.PREMIUM, recording=RecordingMode.ON_DEMAND)
ALWAYS_RECORDED = ("1001", "1002")
"""Demo agents whose every call is recorded (seed 3.2.8 "altijd"); the others record on demand."""


def demo_tenant_spec(tenant: str = DEMO_TENANT) -> TenantSpec:
    return TenantSpec(
        tenant,
        f"{tenant.title()} company",
        DEMO_SIP_DOMAIN,
        date.today(),
        contract_profiles=len(DEMO_AGENTS) + 3,  # the agents, supervisor, admin, meeting room
    )


def _demo_user(
    username: str,
    name: str,
    extension: str,
    role: UserRole,
    licences: Licences,
    profile: Profile = Profile.KANTOOR,
) -> UserSpec:
    # The contract's demo passwords: the web password is `pw` + the username, a phone's SIP
    # password `pw` + its extension (the same for the agents; the supervisor's phone is 1100).
    web, sip = f"pw{username}", f"pw{extension}"
    return UserSpec(username, name, extension, web, sip, profile, frozenset({role}), licences)


def _agent_licences(extension: str) -> Licences:
    if extension in ALWAYS_RECORDED:
        return Licences(call_center=Tier.PREMIUM, recording=RecordingMode.ALWAYS)
    return AGENT_LICENCES


def demo_users() -> list[UserSpec]:
    """Agents 1001-1010 (Premium call-center licences), `supervisor`, `admin` and the
    Vergaderzaal phone `meetingroom` (1020)."""
    return [
        *(_demo_user(e, f"Agent {e}", e, UserRole.AGENT, _agent_licences(e)) for e in DEMO_AGENTS),
        _demo_user(
            "supervisor",
            "Supervisor",
            SUPERVISOR_EXTENSION,
            UserRole.SUPERVISOR,
            Licences(supervisor=True, recording=RecordingMode.ON_DEMAND),
        ),
        _demo_user("admin", "Administrator", ADMIN_EXTENSION, UserRole.ADMIN, Licences()),
        _demo_user(
            "meetingroom",
            "Meeting room",
            MEETING_ROOM,
            UserRole.AGENT,
            Licences(),
            Profile.VERGADERZAAL,
        ),
    ]


def seed_demo_company(service: ProvisioningService, tenant: str = DEMO_TENANT) -> None:
    """Create what the demo company lacks entirely (see the module docstring); idempotent."""
    service.ensure_tenant(SEEDED_BY, demo_tenant_spec(tenant))
    if service.users(tenant, limit=1).total == 0:
        service.create_users(SEEDED_BY, tenant, demo_users(), min_password=DEMO_PASSWORD_LENGTH)
    if not service.call_centers(tenant):
        for config in demo_tenant_config().call_centers:
            service.create_call_center(SEEDED_BY, tenant, api_form(config))
    seed_demo_numbers(service, tenant, SEEDED_BY)
    seed_demo_groups(service, tenant, SEEDED_BY)  # after the numbers: +31201230099 is in a block
    seed_demo_belmenu(service, tenant, SEEDED_BY)
    seed_demo_rooms(service, tenant, SEEDED_BY)  # after the numbers: +31201230081 too


def forget_moved_demo_users(directory: UserDirectory, tenant: str = DEMO_TENANT) -> None:
    """Drop the demo users earlier releases seeded as accounts (copied from `cti_users` by
    revision `oneuser`): they are provisioned users now, and an old copy would let a user an
    admin deleted sign in again."""
    for spec in demo_users():
        directory.remove_user(tenant, spec.username)


def seed_demo_operator(directory: UserDirectory, tenant: str = DEMO_TENANT) -> None:
    """The demo's operator, once: a restart keeps a password set since (`cti.operators`)."""
    username, password = DEMO_OPERATOR
    if not directory.exists(tenant, username):
        directory.add_user(
            tenant, username, password, Role.OPERATOR, display_name="Platform operator"
        )


def published_demo_logins(
    service: ProvisioningService, directory: UserDirectory, tenant: str = DEMO_TENANT
) -> list[str]:
    """The demo accounts that still sign in with the contract's published passwords (an admin
    may have changed or deleted them). Blocking: one password check per account."""
    found: list[str] = []
    for spec in demo_users():
        assert spec.password is not None  # every demo user has its published password
        try:
            if service.sign_in(spec.username, spec.password, verify_password) is not None:
                found.append(spec.username)
        except NotFound:
            continue  # deleted by an admin
    username, password = DEMO_OPERATOR
    if directory.authenticate(tenant, username, password) is not None:
        found.append(username)
    return found

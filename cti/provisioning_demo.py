"""The demo's platform operator (contract.md, Provisioning: `operator` / `pwoperator`).

A sign-in account only: it lives in cti's user directory beside the demo company's users, in
the default tenant, so `POST /api/v1/auth/token` with a bare `operator` finds it; its role lets
it provision every tenant. Seeding the demo company itself through the ProvisioningService is the
next increment (docs/provisioning.md).
"""

from __future__ import annotations

from cti.principal import Role
from cti.users import DEMO_TENANT, UserDirectory

DEMO_OPERATOR = ("operator", "pwoperator")


def seed_demo_operator(directory: UserDirectory, tenant: str = DEMO_TENANT) -> None:
    username, password = DEMO_OPERATOR
    directory.add_user(tenant, username, password, Role.OPERATOR, display_name="Platform operator")

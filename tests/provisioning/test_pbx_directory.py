"""The PBX's directories from provisioning (cti/pbx_directory.py): every tenant in its own SIP
domain, read in bulk at start-up and per tenant after a change, alike."""

from __future__ import annotations

import hashlib

from cti.pbx_directory import provisioned_directories, provisioned_directory
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService
from provisioning.users import Licences, Tier, UserRole, UserSpec
from tests.provisioning.conftest import tenant_spec


def user(tenant: str, extension: str, role: UserRole = UserRole.AGENT) -> UserSpec:
    return UserSpec(
        username=f"{tenant}-{extension}",
        name=f"{tenant} {extension}",
        extension=extension,
        password=None,
        sip_password=f"{tenant}-sip-{extension}",
        profile=Profile.KANTOOR,
        roles=frozenset({role}),
        licences=Licences(call_center=Tier.BASIC),
    )


def test_two_tenants_with_the_same_numbers_each_in_their_domain(
    service: ProvisioningService,
) -> None:
    for tenant in ("acme", "bolt"):
        service.create_tenant("op", tenant_spec(tenant))
        for extension in ("1001", "1002"):
            service.create_user("op", tenant, user(tenant, extension))
        center = {"number": "7001", "name": "Sales", "tier": "basic", "agents": ["1002"]}
        service.create_call_center("op", tenant, center)
    directories = provisioned_directories(service)
    assert set(directories.domains) == {"acme.test", "bolt.test"}
    for tenant in ("acme", "bolt"):
        directory = directories.for_domain(f"{tenant}.test")
        assert directory is not None and directory.tenant == tenant
        assert directory.is_call_center("7001") and set(directory.users) == {"1001", "1002"}
        ha1 = f"1001:{tenant}.test:{tenant}-sip-1001"
        found = directory.user("1001")
        assert found is not None
        assert found.ha1_md5 == hashlib.md5(ha1.encode(), usedforsecurity=False).hexdigest()
        assert provisioned_directory(service, tenant) == directory
    assert directories.for_domain("nobody.test") is None

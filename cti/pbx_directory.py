"""The PBX's directory from provisioning: who may register (digest against the stored HA1, the
realm being the tenant's SIP domain), how each user records, and which numbers are call centers.
The PBX keeps no plaintext SIP password and no user list of its own (docs/provisioning.md)."""

from __future__ import annotations

from typing import assert_never

from pbx_core.directory import Directories, Directory, RecordingMode, SipUser
from provisioning import users
from provisioning.service import ProvisioningService
from provisioning.views import SipAccount


def pbx_recording(mode: users.RecordingMode | None) -> RecordingMode:
    match mode:
        case None | users.RecordingMode.NEVER:
            return RecordingMode.NEVER
        case users.RecordingMode.ALWAYS:
            return RecordingMode.ALWAYS
        case users.RecordingMode.ON_DEMAND:
            return RecordingMode.ON_DEMAND
        case _:
            assert_never(mode)


def sip_user(tenant: str, account: SipAccount) -> SipUser:
    return SipUser(
        extension=account.extension,
        display_name=account.name,
        recording=pbx_recording(account.recording),
        tenant=tenant,
        ha1_md5=account.ha1_md5,
    )


def provisioned_directory(service: ProvisioningService, tenant: str) -> Directory:
    """Blocking (SQL): call it off the event loop."""
    return Directory.of(
        (sip_user(tenant, account) for account in service.sip_accounts(tenant)),
        call_center_numbers=(center.number for center in service.call_centers(tenant)),
        tenant=tenant,
        domain=service.tenant(tenant).sip_domain,
    )


def provisioned_directories(service: ProvisioningService) -> Directories:
    """Every tenant's directory, for the PBX that serves them all. Blocking (SQL)."""
    return Directories.of(provisioned_directory(service, tenant) for tenant in service.tenant_ids())

"""The PBX's directory from provisioning: who may register (digest against the stored HA1, the
realm being the tenant's SIP domain), how each user records, and which numbers are call centers.
The PBX keeps no plaintext SIP password and no user list of its own (docs/provisioning.md)."""

from __future__ import annotations

from typing import assert_never

from pbx_core.directory import Directories, Directory, RecordingMode, SipUser
from provisioning import users
from provisioning.group_services_store import GroupServices
from provisioning.service import ProvisioningService
from provisioning.views import SipAccount, SipTenant


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


def sip_directory(tenant: SipTenant) -> Directory:
    return Directory.of(
        (sip_user(tenant.id, account) for account in tenant.accounts),
        call_center_numbers=tenant.call_center_numbers,
        tenant=tenant.id,
        domain=tenant.sip_domain,
    )


def provisioned_directory(service: ProvisioningService, tenant: str) -> Directory:
    """One tenant's, after a change to it. Blocking (SQL): call it off the event loop."""
    return sip_directory(
        SipTenant(
            tenant,
            service.tenant(tenant).sip_domain,
            service.sip_accounts(tenant),
            [center.number for center in service.call_centers(tenant)]
            + GroupServices(service).numbers(tenant),  # the application's numbers as well
        )
    )


def provisioned_directories(service: ProvisioningService) -> Directories:
    """Every tenant's, for the PBX that serves them all (start-up). Blocking (SQL)."""
    return Directories.of(sip_directory(tenant) for tenant in service.sip_tenants())

"""Who may register and be called: a small typed directory per tenant handed to the PBX by its
owner, and `Directories`, all tenants by their SIP domain (docs/pbx.md, "Tenants")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pbx_core.call_control import DEFAULT_TENANT


class RecordingMode(StrEnum):
    """Per-user call recording (service description 3.2.6-3.2.8)."""

    NEVER = "never"
    ALWAYS = "always"
    ON_DEMAND = "on_demand"
    """The whole call is recorded; kept only if *44 or the API asked for it during the call."""


@dataclass(frozen=True, slots=True)
class SipUser:
    extension: str
    password: str = ""
    display_name: str = ""
    recording: RecordingMode = RecordingMode.NEVER
    tenant: str = DEFAULT_TENANT
    ha1_md5: str = ""
    """H(extension:realm:password) in hex, as provisioning stores it (RFC 2617): when set, digest
    answers are checked against it and `password` is not needed, so no plaintext is kept."""


@dataclass(frozen=True, slots=True)
class Directory:
    """One tenant's extensions that register with digest auth, and the numbers the application
    handles for it."""

    users: Mapping[str, SipUser]
    call_center_numbers: frozenset[str] = field(default_factory=frozenset)
    trusted_trunk_addresses: frozenset[str] = frozenset({"127.0.0.1"})
    tenant: str = DEFAULT_TENANT
    domain: str = ""
    """The tenant's SIP domain: its phones register as <extension>@<domain> and the digest realm
    is this domain. Empty: a PBX of one company, which answers for any domain."""

    @classmethod
    def of(
        cls,
        users: Iterable[SipUser],
        call_center_numbers: Iterable[str] = (),
        trusted_trunk_addresses: Iterable[str] = ("127.0.0.1",),
        *,
        tenant: str = DEFAULT_TENANT,
        domain: str = "",
    ) -> Directory:
        return cls(
            users={user.extension: user for user in users},
            call_center_numbers=frozenset(call_center_numbers),
            trusted_trunk_addresses=frozenset(trusted_trunk_addresses),
            tenant=tenant,
            domain=domain,
        )

    def user(self, extension: str) -> SipUser | None:
        return self.users.get(extension)

    def is_call_center(self, number: str) -> bool:
        return number in self.call_center_numbers


@dataclass(frozen=True, slots=True)
class Directories:
    """Every tenant's directory, found by SIP domain (requests) or tenant id (calls, commands).

    A directory without a domain answers for every domain no other tenant claims: that is a PBX
    of one company. Otherwise a request for an unknown domain belongs to no tenant and is
    refused, so nothing is ever looked up across tenants."""

    tenants: Mapping[str, Directory]
    domains: Mapping[str, str]
    """SIP domain (lower case) -> tenant."""
    catch_all: str | None = None
    """The tenant whose directory has no domain."""
    trunk_addresses: frozenset[str] = frozenset()
    """Every tenant's trusted trunk addresses (a carrier is shared by the platform)."""

    @classmethod
    def of(cls, directories: Iterable[Directory]) -> Directories:
        tenants = {directory.tenant: directory for directory in directories}
        domains: dict[str, str] = {}
        catch_all = None
        for directory in tenants.values():
            if not directory.domain:
                if catch_all is not None:
                    raise ValueError(f"tenants {catch_all} and {directory.tenant} have no domain")
                catch_all = directory.tenant
                continue
            domain = directory.domain.lower()
            if domain in domains:
                raise ValueError(f"tenants {domains[domain]} and {directory.tenant} share {domain}")
            domains[domain] = directory.tenant
        trunks = frozenset(a for d in tenants.values() for a in d.trusted_trunk_addresses)
        return cls(tenants=tenants, domains=domains, catch_all=catch_all, trunk_addresses=trunks)

    def with_tenant(self, directory: Directory) -> Directories:
        """These directories with one tenant's added or replaced (a live change)."""
        return Directories.of({**self.tenants, directory.tenant: directory}.values())

    def without_tenant(self, tenant: str) -> Directories:
        return Directories.of(d for t, d in self.tenants.items() if t != tenant)

    def for_domain(self, domain: str) -> Directory | None:
        tenant = self.domains.get(domain.lower(), self.catch_all)
        return None if tenant is None else self.tenants.get(tenant)

    def of_tenant(self, tenant: str) -> Directory | None:
        return self.tenants.get(tenant)

    def user(self, tenant: str, extension: str) -> SipUser | None:
        directory = self.tenants.get(tenant)
        return None if directory is None else directory.user(extension)

    def is_call_center(self, tenant: str, number: str) -> bool:
        directory = self.tenants.get(tenant)
        return directory is not None and directory.is_call_center(number)

    def is_trunk(self, address: str) -> bool:
        return address in self.trunk_addresses


def digest_realm(directory: Directory | None, default: str) -> str:
    """The realm a request is challenged with: its tenant's SIP domain, or `default` (the PBX's
    configured realm) for a PBX of one company and for requests that belong to no tenant."""
    return directory.domain if directory is not None and directory.domain else default


def demo_directory() -> Directory:
    """The demo company of the contract: agents 1001-1010 (password `pw` + extension) and the
    call centers 7001-7003 reachable from the trunk at 127.0.0.1."""
    users = [
        SipUser(extension=str(ext), password=f"pw{ext}", display_name=f"Agent {ext}")
        for ext in range(1001, 1011)
    ]
    return Directory.of(users, call_center_numbers=("7001", "7002", "7003"))

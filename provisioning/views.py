"""What the service hands out: plain, typed, secret-free views of the stored rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Row

from provisioning.profiles import Profile
from provisioning.users import Licences, RecordingMode, Tier, UserRole

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class Account:
    """Who signed in: the user's tenant, roles and extension, and (for a supervisor) the call
    centers it supervises, which today are all of its tenant's."""

    tenant: str
    username: str
    extension: str
    roles: frozenset[UserRole]
    call_centers: frozenset[str]


@dataclass(frozen=True, slots=True)
class TenantView:
    id: str
    name: str
    sip_domain: str
    time_zone: str
    language: str
    main_number: str | None
    contract_start: date
    contract_months: int
    contract_profiles: int

    @classmethod
    def of(cls, row: Row[Any]) -> TenantView:
        return cls(*(getattr(row, name) for name in cls.__slots__))

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "contract_start": self.contract_start.isoformat()}


def _optional(kind: type[Any], value: str | None) -> Any:
    return None if value is None else kind(value)


@dataclass(frozen=True, slots=True)
class UserView:
    username: str
    name: str
    extension: str
    language: str
    profile: Profile
    roles: frozenset[UserRole]
    licences: Licences
    web_sign_in: bool
    """False while the user has no web password (imported without one)."""

    @classmethod
    def of(cls, row: Row[Any], no_password: str) -> UserView:
        return cls(
            username=row.username,
            name=row.name,
            extension=row.extension,
            language=row.language,
            profile=Profile(row.profile),
            roles=frozenset(UserRole(r) for r in row.roles.split(",")),
            licences=Licences(
                call_center=_optional(Tier, row.call_center_licence),
                supervisor=row.supervisor_licence,
                receptionist=_optional(Tier, row.receptionist_licence),
                recording=_optional(RecordingMode, row.recording_mode),
            ),
            web_sign_in=row.password_hash != no_password,
        )

    def as_json(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies, a third of a bulk import's time.
        licences = self.licences
        return {
            "username": self.username,
            "name": self.name,
            "extension": self.extension,
            "language": self.language,
            "profile": self.profile,
            "roles": sorted(self.roles),
            "licences": {
                "call_center": licences.call_center,
                "supervisor": licences.supervisor,
                "receptionist": licences.receptionist,
                "recording": licences.recording,
            },
            "web_sign_in": self.web_sign_in,
        }


@dataclass(frozen=True, slots=True)
class SipAccount:
    """What the PBX needs of a user to let its phone register and to call it."""

    extension: str
    name: str
    ha1_md5: str
    """H(extension:sip_domain:sip_password), the tenant's digest realm being its SIP domain."""
    recording: RecordingMode | None


@dataclass(frozen=True, slots=True)
class SipTenant:
    """One tenant as the PBX serves it: its SIP domain (the digest realm), its users' SIP
    accounts and its call-center numbers."""

    id: str
    sip_domain: str
    accounts: list[SipAccount]
    call_center_numbers: list[str]
    """Call centers, hunt groups and auto attendants: the numbers the application answers."""


@dataclass(frozen=True, slots=True)
class NumberBlockView:
    first: str
    last: str
    size: int


@dataclass(frozen=True, slots=True)
class NumberView:
    number: str
    destination: str


@dataclass(frozen=True, slots=True)
class CallCenterView:
    number: str
    name: str
    tier: Tier
    settings: dict[str, Any]
    """Every setting as given (API form, see provisioning.call_centers)."""


@dataclass(frozen=True, slots=True)
class ScheduleView:
    kind: str
    """`weekly` or `holidays`."""
    name: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    tenant: str
    entity: str
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, row: Row[Any]) -> AuditEntry:
        return cls(*(getattr(row, name) for name in cls.__slots__))

"""Request and response bodies of the provisioning API (its OpenAPI schema).

Input models take no "10" for 10 nor 1 for true (StrictInt, StrictBool) and forbid unknown
fields; string lengths are capped here, before any rule runs, so a megabyte name is refused as
cheaply as possible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from cti.rest.provisioning_activation import ActivationOut
from provisioning.profiles import Profile
from provisioning.users import Licences, RecordingMode, Tier, UserRole
from provisioning.views import Page, UserView

T = TypeVar("T")

Name = Annotated[str, Field(min_length=1, max_length=200)]
Password = Annotated[str, Field(min_length=1, max_length=128)]
Extension = Annotated[str, Field(min_length=1, max_length=8, examples=["1001"])]
NumberDestination = Annotated[
    str, Field(min_length=1, max_length=24, examples=["1001", "7001", "voicemail:1001"])
]
"""Where a direct number goes: a number of the tenant's numbering plan or a user's voicemail."""
E164 = Annotated[str, Field(min_length=2, max_length=32, examples=["+31205550100"])]


class InputModel(BaseModel):
    # InputModel numbers and booleans (StrictInt, StrictBool): "10" is not 10, 1 is not true.
    model_config = ConfigDict(extra="forbid")


class TenantIn(InputModel):
    id: str = Field(min_length=1, max_length=63, examples=["acme"])
    name: Name
    sip_domain: str = Field(min_length=1, max_length=253, examples=["acme.test"])
    time_zone: str = Field("Europe/Amsterdam", max_length=64)
    language: str = Field("nl", max_length=8)
    main_number: E164 | None = None
    contract_start: date | None = Field(None, description="Default: today")
    contract_months: StrictInt = Field(36, description="Term of the contract (3.6 buyouts)")
    contract_profiles: StrictInt = Field(5, description="Profiles ordered at the start (3.6)")


class LicencesIo(InputModel):
    call_center: Annotated[Tier | None, Field(description="Call-center agent tier")] = None
    supervisor: StrictBool = False
    receptionist: Tier | None = None
    recording: Annotated[RecordingMode | None, Field(description="None: no licence")] = None

    def domain(self) -> Licences:
        return Licences(self.call_center, self.supervisor, self.receptionist, self.recording)


class UserIn(InputModel):
    username: str = Field(min_length=1, max_length=64, description="Unique on the platform")
    name: Name
    extension: Extension
    password: Password
    sip_password: Password
    profile: Profile
    roles: list[UserRole] = Field([UserRole.AGENT], max_length=3)
    licences: LicencesIo = LicencesIo()
    language: str = Field("nl", max_length=8)


class UserPatchIn(InputModel):
    name: Name | None = None
    extension: Extension | None = None
    password: Password | None = None
    sip_password: Password | None = Field(None, description="Required when extension changes")
    profile: Profile | None = None
    roles: list[UserRole] | None = Field(None, max_length=3)
    licences: LicencesIo | None = None
    language: str | None = Field(None, max_length=8)
    confirm_buyout: StrictBool = Field(
        False, description="Accept the buyout a downgrade costs (3.6)"
    )


class UserOut(BaseModel):
    username: str
    name: str
    extension: str
    language: str
    profile: Profile
    roles: list[UserRole]
    licences: LicencesIo
    web_sign_in: bool

    @classmethod
    def of(cls, view: UserView) -> UserOut:
        licences = LicencesIo.model_validate(view.licences, from_attributes=True)
        return cls.model_validate({**view.as_json(), "licences": licences})


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="All items, across pages")
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[Any], item: Callable[[Any], T]) -> PageOut[T]:
        return cls(
            items=[item(i) for i in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )


class Deleted(BaseModel):
    username: str
    buyout_cents: int = Field(description="Buyout charged for this cancellation (0: free)")


class RowErrorOut(BaseModel):
    line: int
    field: str
    reason: str


class ImportOut(BaseModel):
    dry_run: bool
    rows: int
    imported: int
    errors: list[RowErrorOut]
    activations: list[ActivationOut] = Field(
        default=[],
        description="A link for each imported user without a web password (shown once)",
    )

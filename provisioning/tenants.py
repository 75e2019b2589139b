"""A tenant (a company on the platform) and the pure rules it must satisfy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from provisioning.errors import Invalid
from provisioning.flex import MIN_PROFILES
from provisioning.numbers import to_e164
from provisioning.users import validate_language, validate_name

TENANT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# A host name (RFC 1123 labels) or an IPv4 address: the digest realm phones will see.
SIP_DOMAIN = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
)


@dataclass(frozen=True, slots=True)
class TenantSpec:
    id: str
    name: str
    sip_domain: str
    contract_start: date
    time_zone: str = "Europe/Amsterdam"
    language: str = "nl"
    main_number: str | None = None
    contract_months: int = 36
    """The contract term; its end bounds a buyout (3.6)."""
    contract_profiles: int = MIN_PROFILES
    """Profiles ordered with the contract: the first contract year's count for the 25% rule."""


def validated_tenant(spec: TenantSpec) -> TenantSpec:
    """`spec` with its main number in E.164, or Invalid naming the field."""
    if not TENANT_ID.fullmatch(spec.id):
        raise Invalid("id", "1-63 of a-z, 0-9 and '-', starting with a letter or digit")
    validate_name(spec.name)
    if not SIP_DOMAIN.fullmatch(spec.sip_domain):
        raise Invalid("sip_domain", "a lower-case host name or IPv4 address")
    try:
        ZoneInfo(spec.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("time_zone", f"unknown time zone {spec.time_zone!r}") from None
    validate_language(spec.language)
    if not 1 <= spec.contract_months <= 120:
        raise Invalid("contract_months", "1 to 120 months")
    if not MIN_PROFILES <= spec.contract_profiles <= 10_000:
        raise Invalid("contract_profiles", f"at least {MIN_PROFILES} profiles (3.1)")
    main = None if spec.main_number is None else to_e164(spec.main_number, "main_number")
    return TenantSpec(
        spec.id,
        spec.name,
        spec.sip_domain,
        spec.contract_start,
        spec.time_zone,
        spec.language,
        main,
        spec.contract_months,
        spec.contract_profiles,
    )

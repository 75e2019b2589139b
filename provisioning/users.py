"""A user as provisioning knows it, and the pure rules a user must satisfy.

Web usernames are unique on the whole platform (so signing in needs no tenant); extensions are
unique within a tenant. Passwords never reach the database in clear: the web password as the
scrypt string the shell's hasher makes, the SIP password as the digest HA1 values for the
tenant's realm (its SIP domain), which is all a registrar needs to check a digest response.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from provisioning.errors import Invalid
from provisioning.profiles import Profile, require_feature

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
EXTENSION = re.compile(r"[1-9][0-9]{1,7}")
LANGUAGES = frozenset({"nl", "en", "de", "fr"})
MIN_PASSWORD = 8
MAX_PASSWORD = 128
NO_PASSWORD = "!"
"""Stored instead of a hash: no password verifies against it (as in /etc/shadow)."""


class UserRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Tier(StrEnum):
    """Call-center agent licence and receptionist licence (3.2.3, 3.2.5): Instap, Standaard,
    Premium."""

    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


class RecordingMode(StrEnum):
    """3.2.6: `always` records every call, `on_demand` keeps a call only when asked (*44)."""

    ALWAYS = "always"
    ON_DEMAND = "on_demand"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Licences:
    call_center: Tier | None = None
    supervisor: bool = False
    receptionist: Tier | None = None
    recording: RecordingMode | None = None
    """None: no recording licence; a mode: the licence and how it records."""


@dataclass(frozen=True, slots=True)
class UserSpec:
    """What an admin gives for a user (the passwords in clear, only on their way in)."""

    username: str
    name: str
    extension: str
    password: str | None
    """None: no web sign-in until an admin sets one (bulk import without passwords)."""
    sip_password: str
    profile: Profile
    roles: frozenset[UserRole] = frozenset({UserRole.AGENT})
    licences: Licences = field(default_factory=Licences)
    language: str = "nl"


def validate_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise Invalid(
            "username", "1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )


def validate_extension(extension: str, field_name: str = "extension") -> None:
    if not EXTENSION.fullmatch(extension):
        raise Invalid(field_name, "2-8 digits, not starting with 0")


def validate_password(password: str, field_name: str, min_length: int = MIN_PASSWORD) -> None:
    if not min_length <= len(password) <= MAX_PASSWORD:
        raise Invalid(field_name, f"{min_length} to {MAX_PASSWORD} characters")


def validate_language(language: str) -> None:
    if language not in LANGUAGES:
        raise Invalid("language", f"one of {', '.join(sorted(LANGUAGES))}")


def validate_name(name: str) -> None:
    if not name.strip() or len(name) > 200 or not name.isprintable():
        raise Invalid("name", "1-200 printable characters")


def validate_entitlements(profile: Profile, roles: frozenset[UserRole], licences: Licences) -> None:
    """Licences and roles that need a profile feature (chapter 7) or each other."""
    if licences.call_center is not None:
        require_feature(profile, "CallCenterAgent")
    if licences.supervisor:
        require_feature(profile, "CallCenterMonitoring")
    if UserRole.SUPERVISOR in roles and not licences.supervisor:
        raise Invalid("licences.supervisor", "the supervisor role needs a supervisor licence")
    if not roles:
        raise Invalid("roles", "give at least one role")


def validate_user(spec: UserSpec, min_password: int = MIN_PASSWORD) -> None:
    validate_username(spec.username)
    validate_name(spec.name)
    validate_extension(spec.extension)
    if spec.password is not None:
        validate_password(spec.password, "password", min_password)
    validate_password(spec.sip_password, "sip_password", min_password)
    validate_language(spec.language)
    validate_entitlements(spec.profile, spec.roles, spec.licences)


@dataclass(frozen=True, slots=True)
class DigestSecrets:
    """HA1 = H(username:realm:password) in MD5 (RFC 2617) and SHA-256 (RFC 7616)."""

    ha1_md5: str
    ha1_sha256: str


def digest_secrets(extension: str, realm: str, sip_password: str) -> DigestSecrets:
    # Phones register as <extension>@<sip_domain>: the digest username is the extension and the
    # realm the tenant's SIP domain (contract.md, Provisioning).
    a1 = f"{extension}:{realm}:{sip_password}".encode()
    # MD5 because SIP digest (RFC 2617) is what every phone speaks; SHA-256 (RFC 8760) beside it.
    md5 = hashlib.md5(a1).hexdigest()  # nosec B324
    return DigestSecrets(md5, hashlib.sha256(a1).hexdigest())

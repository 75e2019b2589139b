"""Who may register and be called: a small typed directory handed to the PBX by its owner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


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
    tenant: str = "demo"
    ha1_md5: str = ""
    """H(extension:realm:password) in hex, as provisioning stores it (RFC 2617): when set, digest
    answers are checked against it and `password` is not needed, so no plaintext is kept."""


@dataclass(frozen=True, slots=True)
class Directory:
    """Extensions that register with digest auth, and the numbers the application handles."""

    users: Mapping[str, SipUser]
    call_center_numbers: frozenset[str] = field(default_factory=frozenset)
    trusted_trunk_addresses: frozenset[str] = frozenset({"127.0.0.1"})

    @classmethod
    def of(
        cls,
        users: Iterable[SipUser],
        call_center_numbers: Iterable[str] = (),
        trusted_trunk_addresses: Iterable[str] = ("127.0.0.1",),
    ) -> Directory:
        return cls(
            users={user.extension: user for user in users},
            call_center_numbers=frozenset(call_center_numbers),
            trusted_trunk_addresses=frozenset(trusted_trunk_addresses),
        )

    def user(self, extension: str) -> SipUser | None:
        return self.users.get(extension)

    def is_call_center(self, number: str) -> bool:
        return number in self.call_center_numbers


def demo_directory() -> Directory:
    """The demo company of the contract: agents 1001-1010 (password `pw` + extension) and the
    call centers 7001-7003 reachable from the trunk at 127.0.0.1."""
    users = [
        SipUser(extension=str(ext), password=f"pw{ext}", display_name=f"Agent {ext}")
        for ext in range(1001, 1011)
    ]
    return Directory.of(users, call_center_numbers=("7001", "7002", "7003"))

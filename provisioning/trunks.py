"""Carrier trunks (issue 15.1): a tenant's own, or the platform's (the operator's) shared by all
tenants after their own. Pure rules here; SQL in `trunks_store.py`.

Outbound calls try the trunks by priority (lowest first; the tenant's before the platform's):
a 503, 408 or no answer from one tries the next. A trunk with `inbound` trusts requests from its
host as the carrier's, so `host` must then be an IP address (trust by name would trust whoever
controls DNS). Digest credentials are stored for answering the carrier's challenge and are never
handed out again.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from provisioning.errors import Invalid

TRANSPORTS = ("udp", "tcp", "tls")
"""How the PBX reaches a carrier (TCP and TLS through a connector, docs/trunks.md)."""
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                       r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_CREDENTIAL = re.compile(r"^[\x21-\x7e]{1,128}$")
"""Printable ASCII without spaces: what goes into a digest header."""


@dataclass(frozen=True, slots=True)
class TrunkSpec:
    name: str
    host: str
    port: int = 5060
    transport: str = "udp"
    priority: int = 10
    inbound: bool = False
    username: str | None = None
    password: str | None = None
    register_expires: int | None = None
    """Register to the carrier for this many seconds (refreshed before they end); None: never."""


REGISTER_EXPIRES = (60, 86_400)
"""The registration lengths a trunk may ask for, in seconds: carriers grant 60 s to a day."""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def validated_trunk(spec: TrunkSpec) -> TrunkSpec:
    if not _NAME.match(spec.name):
        raise Invalid("name", "1-64 letters, digits, spaces, '.', '_' or '-'")
    if not (_is_ip(spec.host) or _HOSTNAME.match(spec.host)):
        raise Invalid("host", "an IP address or a host name")
    if spec.inbound and not _is_ip(spec.host):
        raise Invalid("host", "an inbound trunk is trusted by address: give its IP address")
    if not 0 < spec.port < 65536:
        raise Invalid("port", "1-65535")
    if spec.transport not in TRANSPORTS:
        raise Invalid("transport", f"one of {', '.join(TRANSPORTS)}")
    if not 0 <= spec.priority <= 1000:
        raise Invalid("priority", "0-1000, lowest tried first")
    if (spec.username is None) != (spec.password is None):
        raise Invalid("password" if spec.password is None else "username", "give both or neither")
    for field, value in (("username", spec.username), ("password", spec.password)):
        if value is not None and not _CREDENTIAL.match(value):
            raise Invalid(field, "1-128 printable characters without spaces")
    if spec.register_expires is not None:
        low, high = REGISTER_EXPIRES
        if not low <= spec.register_expires <= high:
            raise Invalid("register_expires", f"{low}-{high} seconds")
        if spec.username is None:
            raise Invalid("username", "registering to the carrier needs its credentials")
    return spec

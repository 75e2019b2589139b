"""What the PBX tells a tenant's admins about its calls with the carrier (issue 15.4, 15.5): the
toll-fraud guard blocked a call, a call was refused over the tenant's call capacity. The PBX
raises them in its SIP thread (`CallContext.alert`); the product stores them for the admin API
and mails them (`cti/tenant_alerts.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class AlertKind(StrEnum):
    TOLL_FRAUD = "toll_fraud"
    """The velocity guard refused a costly call (403)."""
    CALL_CAPACITY = "call_capacity"
    """A call to or from the carrier was refused: the tenant's calls with it are at its limit."""


@dataclass(frozen=True, slots=True)
class TenantAlert:
    tenant: str
    kind: AlertKind
    text: str
    """For people: who, what number, which limit (never a secret)."""


AlertSink = Callable[[TenantAlert], None]


def no_alerts(alert: TenantAlert) -> None:
    """A PBX nobody listens to (tests of the SIP layer alone): the log line is the record."""

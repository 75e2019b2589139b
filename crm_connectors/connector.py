"""The one interface every CRM connector implements.

Re-exports the record types so callers need one import:
`from crm_connectors.connector import CrmConnector, CrmRecord, CallLog`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Generic, Protocol, TypeVar, runtime_checkable

from crm_connectors.records import CallDirection, CallLog, CrmRecord

__all__ = ["CallDirection", "CallLog", "ConfiguredConnector", "CrmConnector", "CrmRecord"]


@runtime_checkable
class CrmConnector(Protocol):
    """A tenant's link to one CRM. Methods raise `CrmError` subclasses on failure.

    Implementations never log secrets and never retry for longer than their `RetryPolicy`;
    callers on the call path wrap them in a timeout and turn errors into "no match".
    """

    @property
    def name(self) -> str:
        """The connector's name within the tenant; stored as `CrmRecord.source`."""
        ...

    @property
    def live_lookup(self) -> bool:
        """Whether a screen-pop may ask this CRM directly when the local index has no match."""
        ...

    async def lookup(self, e164: str) -> list[CrmRecord]:
        """Records whose phone fields match the E.164 number."""
        ...

    async def record_url(self, record_id: str) -> str | None:
        """A link that opens the record in the CRM's own UI."""
        ...

    async def log_call(self, call: CallLog, record: CrmRecord | None) -> str | None:
        """Write the call as an activity/task, linked to `record` when known; returns its id."""
        ...

    def iter_records(self, since: datetime | None = None) -> AsyncIterator[CrmRecord]:
        """Every record with a phone number (modified at or after `since`, when given)."""
        ...

    async def aclose(self) -> None:
        """Release what the connector opened itself (not a shared HTTP client)."""
        ...


class NamedConfig(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def live_lookup(self) -> bool: ...


C = TypeVar("C", bound=NamedConfig)


class ConfiguredConnector(Generic[C]):
    """What every connector reads straight from its configuration (`name`, `live_lookup`)."""

    _config: C

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def live_lookup(self) -> bool:
        return self._config.live_lookup

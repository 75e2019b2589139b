"""Error counters the metrics layer (`/metrics`) reads; no Prometheus dependency here."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class ErrorKey:
    tenant: str
    connector: str
    operation: str
    kind: str


@dataclass
class CrmErrorCounter:
    """Counts CRM failures by tenant, connector, operation (lookup, sync, log_call) and kind.

    Thread-safe: rq jobs, the event loop and `asyncio.to_thread` workers all record here.
    """

    _counts: Counter[ErrorKey] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, tenant: str, connector: str, operation: str, kind: str) -> None:
        with self._lock:
            self._counts[ErrorKey(tenant, connector, operation, kind)] += 1

    def snapshot(self) -> dict[ErrorKey, int]:
        with self._lock:
            return dict(self._counts)

    def total(self, **match: str) -> int:
        """Sum of counts whose key fields equal the given values, e.g. `total(kind="auth")`."""
        with self._lock:
            return sum(
                n
                for key, n in self._counts.items()
                if all(getattr(key, name) == value for name, value in match.items())
            )


#: Process-wide default, so the metrics exporter and code built without explicit wiring agree.
DEFAULT_COUNTER = CrmErrorCounter()

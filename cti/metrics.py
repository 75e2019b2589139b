"""Prometheus metrics of one API process, in a registry of its own (one per app).

Live figures (calls waiting, agents by state) come from the Redis snapshot at scrape time, so
every API process reports the same numbers; event counters are this process's reader's.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from cti.snapshots import AgentState, SnapshotStore
from queueing.events import DomainEvent

RATE_WINDOW_SECONDS = 10.0


ErrorCounts = Callable[[], Mapping[Any, int]]
"""Counts keyed by records with `tenant, connector, operation, kind` (crm_connectors' counter)."""

MessageCounts = Callable[[], Mapping[str, int]]
"""SIP messages by direction (`received`, `sent`) since the PBX started."""


class _SipMessages:
    """The PBX's own counters, exported as a Prometheus counter at scrape time (they are kept
    by the SIP thread; copying them into a `Counter` would need a hook on every message)."""

    def __init__(self, counts: MessageCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "opencc_sip_messages", "SIP messages through the PBX's stack", labels=["direction"]
        )
        for direction, count in sorted(self._counts().items()):
            family.add_metric([direction], count)
        yield family


AuthCounts = Callable[[], Mapping[str, int]]
"""The PBX's `failures`, `bans` and `banned_now` (pbx_core/sip/auth_throttle.py)."""


class _SipAuth:
    """Failed SIP authentications and the bans they earned, read from the PBX at scrape time."""

    def __init__(self, counts: AuthCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        counts = self._counts()
        yield CounterMetricFamily(
            "opencc_sip_auth_failures",
            "Failed SIP digest authentications (REGISTER, INVITE)",
            value=counts["failures"],
        )
        yield CounterMetricFamily(
            "opencc_sip_auth_bans", "Source addresses banned for failing", value=counts["bans"]
        )
        yield GaugeMetricFamily(
            "opencc_sip_banned_addresses", "Addresses banned now", value=counts["banned_now"]
        )


class CtiMetrics:
    def __init__(
        self,
        sip_transactions: Callable[[], float] | None = None,
        crm_errors: ErrorCounts | None = None,
        sip_messages: MessageCounts | None = None,
        sip_auth: AuthCounts | None = None,
        processes: Collector | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        if processes is not None:  # the supervised child processes (common/supervision.py)
            self.registry.register(processes)
        if sip_messages is not None:
            self.registry.register(_SipMessages(sip_messages))
        if sip_auth is not None:
            self.registry.register(_SipAuth(sip_auth))
        self.calls_waiting = Gauge(
            "opencc_calls_waiting",
            "Calls waiting in a call center's queue",
            ["tenant", "call_center"],
            registry=self.registry,
        )
        self.agents = Gauge(
            "opencc_agents", "Agents by ACD state", ["tenant", "state"], registry=self.registry
        )
        self.events = Counter(
            "opencc_events",
            "Domain events read from the event log by this process",
            ["tenant"],
            registry=self.registry,
        )
        self.events_per_second = Gauge(
            "opencc_events_per_second",
            f"Domain events per second over the last {RATE_WINDOW_SECONDS:.0f} s",
            registry=self.registry,
        )
        self.subscribers = Gauge(
            "opencc_event_subscribers", "Live event subscribers", registry=self.registry
        )
        self.sip_transactions = Gauge(
            "opencc_sip_transactions", "SIP transactions in progress", registry=self.registry
        )
        if sip_transactions is not None:
            self.sip_transactions.set_function(sip_transactions)
        self.crm_errors = Gauge(
            "opencc_crm_errors",
            "CRM lookups and writes that failed (the call went on without the CRM)",
            ["tenant", "connector", "operation", "kind"],
            registry=self.registry,
        )
        self._crm_errors = crm_errors
        self._recent: deque[float] = deque()

    def event_read(self, event: DomainEvent) -> None:
        self.events.labels(event.tenant).inc()
        self._recent.append(time.monotonic())

    def _rate(self) -> float:
        horizon = time.monotonic() - RATE_WINDOW_SECONDS
        while self._recent and self._recent[0] < horizon:
            self._recent.popleft()
        return len(self._recent) / RATE_WINDOW_SECONDS

    async def render(
        self, snapshots: SnapshotStore, tenants: Iterable[str], subscribers: int
    ) -> bytes:
        self.events_per_second.set(self._rate())
        self.subscribers.set(subscribers)
        self.calls_waiting.clear()
        self.agents.clear()
        for tenant in tenants:
            for call_center in await snapshots.call_centers(tenant):
                self.calls_waiting.labels(tenant, call_center.number).set(
                    len(call_center.waiting_calls)
                )
            by_state = Tally(agent.state for agent in await snapshots.agents(tenant))
            for state in AgentState:
                self.agents.labels(tenant, state.value).set(by_state.get(state, 0))
        if self._crm_errors is not None:
            for key, count in self._crm_errors().items():
                self.crm_errors.labels(key.tenant, key.connector, key.operation, key.kind).set(
                    count
                )
        return generate_latest(self.registry)

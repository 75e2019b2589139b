"""One change = one transaction: the rows, their audit entries, then the notifications.

`Transactions.change(actor, tenant)` opens a transaction; the caller writes through the `Unit`
it yields and records each entity it changed with its before/after JSON. The audit rows are
written in the same transaction, so a change and its audit entry commit (or vanish) together.
Listeners hear about the change only after the commit: the PBX, the engine runtime and the
browser clients (later increments) reload what changed, never what was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert
from sqlalchemy.exc import IntegrityError

from provisioning.errors import Conflict
from provisioning.models import audit_log

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The clock every provisioning service stamps its changes with, unless a test gives one."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Change:
    """What a listener hears after a commit: enough to reload one entity."""

    tenant: str
    entity: str
    """`tenant`, `user`, `number_block`, `number`, `call_center`, `schedule`."""
    key: str
    action: str
    """`create`, `update`, `delete`."""
    changed: frozenset[str] = frozenset()
    """The top-level fields whose value differs between before and after (all of them for a
    create or delete): listeners that care about one field need not reload the entity."""
    remote: bool = False
    """Committed by another process and delivered here from its notice: a listener that writes
    state every process shares (Redis) skips it, the committing process did that already."""


Listener = Callable[[Change], None]


@dataclass
class Unit:
    connection: Connection
    actor: str
    tenant: str
    at: datetime
    changes: list[Change] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    """Audit rows, written in one statement just before the commit (a bulk import has 150)."""

    def record(
        self,
        entity: str,
        key: str,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        self.audit.append(
            {
                "at": self.at,
                "actor": self.actor,
                "tenant": self.tenant,
                "entity": entity,
                "key": key,
                "action": action,
                "before": before,
                "after": after,
            }
        )
        old, new = before or {}, after or {}
        changed = frozenset(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        self.changes.append(Change(self.tenant, entity, key, action, changed))


class Transactions:
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self.engine = engine
        self._now = now
        self._listeners: list[Listener] = []
        self._publisher: Listener | None = None

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def publish_to(self, publisher: Listener) -> None:
        """Hand each change committed here, after the listeners, to `publisher` (the change
        notices other processes hear: cti/provisioning_relay.py); never a delivered one, so a
        notice never echoes between processes."""
        self._publisher = publisher

    def deliver(self, change: Change) -> None:
        """Tell the listeners of a change another process committed (its notice)."""
        self._notify(replace(change, remote=True))

    def _notify(self, change: Change) -> None:
        for listener in self._listeners:
            try:
                listener(change)
            except Exception:  # a listener's failure must not undo a committed change
                log.exception("provisioning listener failed on %s", change)

    @contextmanager
    def change(self, actor: str, tenant: str) -> Iterator[Unit]:
        try:
            with self.engine.begin() as connection:
                unit = Unit(connection, actor, tenant, self._now())
                yield unit
                if unit.audit:
                    connection.execute(insert(audit_log), unit.audit)
        except IntegrityError as error:
            # A concurrent request won the race past our own checks: same answer as theirs.
            raise Conflict("request", "conflicts with a change made at the same time") from error
        for change in unit.changes:
            self._notify(change)
            if self._publisher is not None:
                try:
                    self._publisher(change)
                except Exception:  # the change is committed; other processes miss this one
                    log.exception("provisioning change notice failed on %s", change)

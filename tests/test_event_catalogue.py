"""The event catalogue cannot drift: every event type and `data` field is declared once
(common.event_types) and documented in docs/events.md; the engine's property test checks that
everything it emits is declared (tests/queueing/test_properties.py)."""

from __future__ import annotations

from common.event_types import DATA_FIELDS, EventType
from tests.event_catalogue import documented_fields


def test_every_event_type_declares_its_data_fields() -> None:
    assert set(DATA_FIELDS) == set(EventType)


def test_docs_document_exactly_the_event_types() -> None:
    assert set(documented_fields()) == {str(t) for t in EventType}


def test_docs_document_every_declared_data_field() -> None:
    documented = documented_fields()
    missing = {
        f"{event_type}.{name}"
        for event_type, fields in DATA_FIELDS.items()
        for name in fields
        if name not in documented.get(event_type, frozenset())
    }
    assert missing == set(), "declared in common/event_types.py but missing from docs/events.md"

"""The local index on SQLite and on PostgreSQL (a database created and dropped per test)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_connectors.index import CrmIndex
from crm_connectors.records import CrmRecord
from tests.migrated_schemas import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrmIndex]:
    if request.param == "sqlite":
        idx = CrmIndex.from_url(f"sqlite:///{tmp_path / 'index.sqlite'}")
        idx.create_schema()
        yield idx
        idx.engine.dispose()
    else:
        with postgres_database() as url:
            idx = CrmIndex.from_url(url)
            idx.create_schema()
            yield idx
            idx.engine.dispose()


def rec(record_id: str, name: str, *phones: str, source: str = "sf") -> CrmRecord:
    return CrmRecord(id=record_id, name=name, source=source, phones=phones, url=f"u/{record_id}")


def test_lookup_finds_records_by_number_per_tenant(index: CrmIndex) -> None:
    index.replace_source("t1", "sf", [rec("1", "Jansen", "+31201234567"), rec("2", "Bos", "+3170")])
    index.replace_source("t2", "sf", [rec("9", "Other tenant", "+31201234567")])
    found = index.lookup("t1", "+31201234567")
    assert [r.name for r in found] == ["Jansen"]
    assert found[0].url == "u/1" and found[0].phones == ("+31201234567",)
    assert index.lookup("t1", "+31999") == []


def test_full_sync_replaces_only_its_source(index: CrmIndex) -> None:
    index.replace_source("t1", "sf", [rec("1", "Old", "+31201234567")])
    index.replace_source("t1", "afas", [rec("a", "Afas", "+31201234567", source="afas")])
    index.replace_source("t1", "sf", [rec("2", "New", "+31301234567")])
    assert [r.name for r in index.lookup("t1", "+31201234567")] == ["Afas"]
    assert [r.name for r in index.lookup("t1", "+31301234567")] == ["New"]
    assert index.count("t1") == 2


def test_upsert_moves_numbers_and_tolerates_repeats(index: CrmIndex) -> None:
    index.replace_source("t1", "sf", [rec("1", "Jansen", "+31201234567")])
    index.upsert("t1", [rec("1", "Jansen", "+31301234567"), rec("1", "Jansen BV", "+31301234567")])
    assert index.lookup("t1", "+31201234567") == []
    assert [r.name for r in index.lookup("t1", "+31301234567")] == ["Jansen BV"]


def test_one_number_many_records(index: CrmIndex) -> None:
    index.replace_source("t1", "sf", [rec(str(i), f"Person {i}", "+31201234567") for i in range(3)])
    assert len(index.lookup("t1", "+31201234567")) == 3


def test_sync_state_round_trip(index: CrmIndex) -> None:
    assert index.sync_state("t1", "sf") is None
    full = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    index.replace_source("t1", "sf", [rec("1", "Jansen", "+31201234567")])
    index.set_sync_state("t1", "sf", full_at=full)
    state = index.sync_state("t1", "sf")
    assert state is not None
    assert state.last_full_at == full and state.last_delta_at == full and state.record_count == 1
    delta = datetime(2026, 11, 25, 10, 15, tzinfo=UTC)
    index.set_sync_state("t1", "sf", delta_at=delta)
    state = index.sync_state("t1", "sf")
    assert state is not None and state.last_delta_at == delta and state.last_full_at == full


def test_large_batches(index: CrmIndex) -> None:
    records = [rec(str(i), f"R{i}", f"+3120{i:07d}") for i in range(1200)]
    assert index.replace_source("t1", "sf", records) == 1200
    assert [r.id for r in index.lookup("t1", "+31200001199")] == ["1199"]

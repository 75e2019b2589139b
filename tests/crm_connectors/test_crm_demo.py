"""The demo CRM through the generic SQL connector, the index and the screen-pop service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crm_connectors.demo import DEMO_RECORD_URL
from crm_connectors.index import CrmIndex
from crm_connectors.metrics import CrmErrorCounter
from crm_connectors.registry import ConnectorRegistry
from crm_connectors.service import ScreenPopService, seed_demo_crm


async def test_demo_contract_contact_pops_from_the_index(tmp_path: Path) -> None:
    index = CrmIndex.from_url(f"sqlite:///{tmp_path / 'index.sqlite'}")
    config = await seed_demo_crm(index, f"sqlite:///{tmp_path / 'demo.sqlite'}")
    service = ScreenPopService(index, counters=CrmErrorCounter())
    for typed in ("+31201234567", "020-1234567", "0031 20 123 4567"):
        records = await service.lookup("demo", typed)
        assert [r.name for r in records] == ["Jansen Installatietechniek B.V."]
    record = (await service.lookup("demo", "+31201234567"))[0]
    assert record.source == "demo-crm" and record.url and record.url.endswith("/1001")
    assert config.tenant == "demo" and index.count("demo") == 5


async def test_demo_live_lookup_when_the_index_is_empty(tmp_path: Path) -> None:
    seeded = CrmIndex.from_url(f"sqlite:///{tmp_path / 'seeded.sqlite'}")
    config = await seed_demo_crm(seeded, f"sqlite:///{tmp_path / 'demo.sqlite'}")
    empty = CrmIndex.from_url(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    empty.create_schema()
    registry = ConnectorRegistry([config])
    try:
        service = ScreenPopService(empty, registry, counters=CrmErrorCounter())
        records = await service.lookup("demo", "06 12345678")
        assert [r.name for r in records] == ["Bakkerij De Vries"]
    finally:
        await registry.aclose()


async def test_many_concurrent_screen_pops_get_their_own_records(tmp_path: Path) -> None:
    index = CrmIndex.from_url(f"sqlite:///{tmp_path / 'index.sqlite'}")
    config = await seed_demo_crm(index, f"sqlite:///{tmp_path / 'demo.sqlite'}")
    registry = ConnectorRegistry([config])
    try:
        service = ScreenPopService(index, registry, counters=CrmErrorCounter())
        numbers = ["020-1234567", "06-12345678", "+32 3 123 45 67", "070 345 67 89"] * 50
        results = await asyncio.gather(*(service.lookup("demo", n) for n in numbers))
        expected = {
            "020-1234567": "1001",
            "06-12345678": "1002",
            "+32 3 123 45 67": "1005",
            "070 345 67 89": "1004",
        }
        assert all(
            [r.id for r in res] == [expected[n]] for n, res in zip(numbers, results, strict=True)
        )
        assert await service.record_url("demo", "demo-crm", "1001") == DEMO_RECORD_URL.format(
            id="1001"
        )
        assert await service.record_url("demo", "nope", "1001") is None
    finally:
        await registry.aclose()

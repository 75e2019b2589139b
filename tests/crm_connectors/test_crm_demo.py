"""The demo CRM through the generic SQL connector, the index and the screen-pop service."""

from __future__ import annotations

from pathlib import Path

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

"""Screen-pop with a CRM that is down, slow, returns garbage or says 401.

The caller always gets a list (empty, or the indexed record), never an exception; the failure is
counted. The generous `wait_for` bounds only prove that a CRM which never answers cannot hold
the lookup; nothing here measures speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from crm_connectors.config import FieldMapping, SalesforceConfig, TenantCrmConfig
from crm_connectors.index import CrmIndex
from crm_connectors.mapping import map_row, template_url
from crm_connectors.metrics import CrmErrorCounter
from crm_connectors.records import CrmRecord
from crm_connectors.registry import ConnectorRegistry
from crm_connectors.secrets import Secret
from crm_connectors.service import ScreenPopService
from tests.crm_connectors.crm_testkit import serve
from tests.crm_connectors.fake_vendors import FakeSalesforce
from tests.ports import free_port

NUMBER = "+31201234567"


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce()
    fake.add("Account", "001A", "Jansen Installatietechniek B.V.", Phone="020-1234567")
    with serve(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
def index(tmp_path: Path) -> CrmIndex:
    idx = CrmIndex.from_url(f"sqlite:///{tmp_path / 'index.sqlite'}")
    idx.create_schema()
    return idx


def sf_config(base_url: str, secret: str = "sf-secret") -> TenantCrmConfig:
    return TenantCrmConfig(
        tenant="t1",
        connectors=(
            SalesforceConfig(
                name="salesforce",
                instance_url=base_url,
                client_id="sf-client",
                client_secret=Secret(secret),
                token_url=f"{base_url}/services/oauth2/token",
                live_timeout_s=0.3,
            ),
        ),
    )


@pytest.fixture
async def registry() -> AsyncIterator[ConnectorRegistry]:
    reg = ConnectorRegistry()
    yield reg
    await reg.aclose()


async def lookup(service: ScreenPopService, number: str = NUMBER) -> list[CrmRecord]:
    return await asyncio.wait_for(service.lookup("t1", number), timeout=10)


async def test_live_salesforce_answer_is_cached(
    fake: FakeSalesforce, index: CrmIndex, registry: ConnectorRegistry
) -> None:
    registry.configure(sf_config(fake.base_url))
    counters = CrmErrorCounter()
    service = ScreenPopService(index, registry, counters=counters, live_timeout_s=2)
    first = await lookup(service, "020 123 45 67")
    second = await lookup(service)
    assert (
        [r.name for r in first] == [r.name for r in second] == ["Jansen Installatietechniek B.V."]
    )
    assert len([r for r in fake.behaviour.requests if "/search/" in r]) == 1
    assert counters.total() == 0


async def test_crm_down_gives_no_match_a_count_and_a_log_line(
    index: CrmIndex, registry: ConnectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    registry.configure(sf_config(f"http://127.0.0.1:{free_port()}"))
    counters = CrmErrorCounter()
    service = ScreenPopService(index, registry, counters=counters, live_timeout_s=2)
    assert await lookup(service) == []
    assert counters.total(connector="salesforce", operation="lookup", kind="unavailable") == 1
    assert "crm live lookup on t1/salesforce failed" in caplog.text
    assert "sf-secret" not in caplog.text


async def test_slow_crm_is_cut_off_at_the_timeout(
    fake: FakeSalesforce, index: CrmIndex, registry: ConnectorRegistry
) -> None:
    registry.configure(sf_config(fake.base_url))
    counters = CrmErrorCounter()
    service = ScreenPopService(index, registry, counters=counters, live_timeout_s=0.2)
    await lookup(service, "0701111111")  # warm the token so the slowness hits the search
    fake.behaviour.delay_s = 30
    assert await lookup(service) == []
    assert counters.total(kind="timeout") + counters.total(kind="unavailable") == 1


async def test_garbage_answer_gives_no_match_and_a_count(
    fake: FakeSalesforce, index: CrmIndex, registry: ConnectorRegistry
) -> None:
    fake.behaviour.garbage = True
    registry.configure(sf_config(fake.base_url))
    counters = CrmErrorCounter()
    service = ScreenPopService(index, registry, counters=counters, live_timeout_s=2)
    assert await lookup(service) == []
    assert counters.total(kind="bad_response") == 1
    fake.behaviour.garbage = False
    # Errors are not cached: once the CRM recovers, the next call finds the record.
    assert len(await lookup(service)) == 1


async def test_401_gives_no_match_and_a_count(
    fake: FakeSalesforce, index: CrmIndex, registry: ConnectorRegistry
) -> None:
    registry.configure(sf_config(fake.base_url, secret="revoked"))
    counters = CrmErrorCounter()
    service = ScreenPopService(index, registry, counters=counters, live_timeout_s=2)
    assert await lookup(service) == []
    assert counters.total(kind="auth") == 1


async def test_indexed_record_pops_while_the_crm_is_down(
    index: CrmIndex, registry: ConnectorRegistry
) -> None:
    registry.configure(sf_config(f"http://127.0.0.1:{free_port()}"))
    index.replace_source(
        "t1", "salesforce", [CrmRecord("001A", "Jansen (indexed)", "salesforce", phones=(NUMBER,))]
    )
    counters = CrmErrorCounter()
    service = ScreenPopService(index, registry, counters=counters)
    assert [r.name for r in await lookup(service, "020-1234567")] == ["Jansen (indexed)"]
    assert counters.total() == 0


async def test_broken_index_and_garbage_numbers_never_raise(tmp_path: Path) -> None:
    broken = CrmIndex.from_url(f"sqlite:///{tmp_path / 'no-schema.sqlite'}")  # no tables
    counters = CrmErrorCounter()
    service = ScreenPopService(broken, counters=counters)
    assert await lookup(service) == []
    assert counters.total(connector="index") == 1
    for junk in ("", "anonymous", "+", "x" * 500, "\x00"):
        assert await lookup(service, junk) == []


class HungIndex(CrmIndex):
    """An index whose database never answers (a locked table, a stuck network)."""

    def lookup(self, tenant: str, e164: str) -> list[CrmRecord]:
        import threading

        threading.Event().wait(1)
        return []


async def test_hung_index_is_cut_off_at_its_timeout(tmp_path: Path) -> None:
    hung = HungIndex.from_url(f"sqlite:///{tmp_path / 'i.sqlite'}")
    counters = CrmErrorCounter()
    service = ScreenPopService(hung, counters=counters, index_timeout_s=0.1)
    assert await asyncio.wait_for(service.lookup("t1", NUMBER), timeout=2) == []
    assert counters.total(connector="index", kind="timeout") == 1


@pytest.mark.parametrize(
    "template",
    ["https://crm.test/{a.b}", "https://crm.test/{missing}", "https://crm.test/{", "{id[0]}{0}"],
)
def test_a_url_template_that_does_not_fit_costs_the_link_not_the_record(template: str) -> None:
    mapping = FieldMapping(id="id", name="name", phones=("phone",), url_template=template)
    record = map_row({"id": "42", "name": "Jansen", "a": "x"}, mapping, "rest")
    assert record is not None and record.name == "Jansen"
    assert record.url is None
    assert template_url(template, "42") is None


def test_a_url_template_fills_the_id_and_row_fields() -> None:
    assert template_url("https://crm.test/{kind}/{id}", "42", {"kind": "org"}) == (
        "https://crm.test/org/42"
    )

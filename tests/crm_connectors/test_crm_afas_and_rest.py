"""AFAS GetConnector (AfasToken header, skip/take paging, filters) and generic REST."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from crm_connectors.afas import AfasConnector, afas_authorization
from crm_connectors.config import AfasConfig, FieldMapping
from crm_connectors.demo import demo_rest_app, demo_rest_connector_config
from crm_connectors.errors import CrmAuthError
from crm_connectors.generic_rest import GenericRestConnector
from crm_connectors.http import RetryPolicy
from crm_connectors.index import CrmIndex
from crm_connectors.records import CallDirection, CallLog
from crm_connectors.secrets import Secret
from crm_connectors.sync import SyncMode, sync_connector
from tests.crm_connectors.crm_testkit import serve
from tests.crm_connectors.fake_vendors import FakeAfas

FAST = RetryPolicy(attempts=2, backoff_s=0.01, max_wait_s=1.0)
MAPPING = FieldMapping(
    id="BcCo",
    name="Nm",
    company="Nm",
    phones=("TeNr", "MbNr"),
    url_template="https://12345.afasinsite.nl/crm/organisatie?BcCo={id}",
    kind="Organisatie",
)


@pytest.fixture
def afas() -> Iterator[tuple[FakeAfas, str]]:
    fake = FakeAfas()
    fake.rows = [
        {"BcCo": f"{i:05d}", "Nm": f"Organisatie {i}", "TeNr": f"020-{2000000 + i}", "MbNr": None}
        for i in range(250)
    ]
    fake.rows.append({"BcCo": "J", "Nm": "Jansen", "TeNr": "0201234567", "MbNr": "06-11112222"})
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


def afas_config(url: str, token: str = "AFAS-APP-TOKEN-DATA") -> AfasConfig:
    return AfasConfig(
        name="afas", base_url=url, get_connector="Crm_Phones", token=Secret(token), mapping=MAPPING
    )


def test_afas_header_is_base64_of_the_wrapped_token() -> None:
    header = afas_authorization("abc")
    assert (
        header == "AfasToken PHRva2VuPjx2ZXJzaW9uPjE8L3ZlcnNpb24+PGRhdGE+YWJjPC9kYXRhPjwvdG9rZW4+"
    )


async def test_afas_sync_pages_with_skip_and_take(
    afas: tuple[FakeAfas, str], client: httpx.AsyncClient, tmp_path: Path
) -> None:
    fake, url = afas
    idx = CrmIndex.from_url(f"sqlite:///{tmp_path / 'i.sqlite'}")
    idx.create_schema()
    result = await sync_connector(
        AfasConnector(afas_config(url), client, retry=FAST), idx, "t", SyncMode.FULL
    )
    assert result.written == 251
    assert len(fake.behaviour.requests) == 3  # skip 0, 100, 200
    jansen = idx.lookup("t", "+31611112222")
    assert [r.name for r in jansen] == ["Jansen"]
    assert jansen[0].url == "https://12345.afasinsite.nl/crm/organisatie?BcCo=J"


async def test_afas_wrong_token_is_refused(
    afas: tuple[FakeAfas, str], client: httpx.AsyncClient
) -> None:
    _, url = afas
    with pytest.raises(CrmAuthError):
        await AfasConnector(afas_config(url, token="wrong"), client, retry=FAST).lookup(
            "+31201234567"
        )


async def test_afas_lookup_uses_or_filters_on_phone_fields(
    afas: tuple[FakeAfas, str], client: httpx.AsyncClient
) -> None:
    fake, url = afas
    records = await AfasConnector(afas_config(url), client, retry=FAST).lookup("+31201234567")
    assert [r.id for r in records] == ["J"]
    assert "filterfieldids=TeNr%3BTeNr%3BMbNr%3BMbNr" in fake.behaviour.requests[0]


async def test_afas_log_call_posts_a_dossier_item(
    afas: tuple[FakeAfas, str], client: httpx.AsyncClient
) -> None:
    fake, url = afas
    connector = AfasConnector(afas_config(url), client, retry=FAST)
    record = (await connector.lookup("+31201234567"))[0]
    call = CallLog(
        tenant="t",
        call_id="c1",
        number="+31201234567",
        direction=CallDirection.INBOUND,
        duration_s=30,
        agent="1001",
        disposition="Answered",
        started_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )
    assert await connector.log_call(call, record) == "1"
    element = fake.subjects[0]["KnSubject"]["Element"]
    assert element["Objects"][0]["KnSubjectLink"]["Element"]["Fields"]["BcId"] == "J"


@pytest.fixture
def rest() -> Iterator[str]:
    with serve(demo_rest_app(api_key="k3y")) as url:
        yield url


async def test_generic_rest_lookup_and_listing(rest: str, client: httpx.AsyncClient) -> None:
    connector = GenericRestConnector(demo_rest_connector_config(rest, api_key="k3y"), client)
    records = await connector.lookup("+31201234567")
    assert [r.name for r in records] == ["Jansen Installatietechniek B.V."]
    assert records[0].source == "demo-rest"
    listed = [r async for r in connector.iter_records()]
    assert len(listed) == 5


async def test_generic_rest_wrong_key_is_an_auth_error(
    rest: str, client: httpx.AsyncClient
) -> None:
    connector = GenericRestConnector(demo_rest_connector_config(rest, api_key="nope"), client)
    with pytest.raises(CrmAuthError):
        await connector.lookup("+31201234567")

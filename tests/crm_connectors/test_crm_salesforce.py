"""Salesforce connector against a fake that follows the documented REST shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from urllib.parse import unquote_plus

import httpx
import pytest

from crm_connectors.config import SalesforceConfig
from crm_connectors.errors import CrmAuthError, CrmBadResponseError
from crm_connectors.records import CallDirection, CallLog
from crm_connectors.salesforce import SalesforceConnector, sosl_escape
from crm_connectors.secrets import Secret
from tests.crm_connectors.crm_testkit import serve
from tests.crm_connectors.fake_vendors import FakeSalesforce


@pytest.fixture
def fake() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce()
    fake.add(
        "Contact",
        "003A",
        "Piet Jansen",
        Phone="020-1234567",
        MobilePhone=None,
        AccountId="001A",
        Account={"attributes": {"type": "Account"}, "Name": "Jansen Installatietechniek B.V."},
    )
    fake.add("Account", "001A", "Jansen Installatietechniek B.V.", Phone="+31 20 123 4567")
    fake.add("Lead", "00QA", "Els Bos", Phone="070-3456789", MobilePhone=None, Company="Bos")
    fake.add("Contact", "003B", "Near Miss", Phone="020-1234568", MobilePhone=None)
    with serve(fake.app()) as url:
        fake.base_url = url
        yield fake


def config(fake: FakeSalesforce, secret: str | None = None) -> SalesforceConfig:
    return SalesforceConfig(
        name="salesforce",
        instance_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=Secret(secret or fake.client_secret),
        token_url=f"{fake.base_url}/services/oauth2/token",
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


async def test_sosl_lookup_returns_matching_contacts_and_accounts(
    fake: FakeSalesforce, client: httpx.AsyncClient
) -> None:
    sf = SalesforceConnector(config(fake), client)
    records = await sf.lookup("+31201234567")
    by_kind = {r.kind: r for r in records}
    assert set(by_kind) == {"Contact", "Account"}
    assert by_kind["Contact"].company == "Jansen Installatietechniek B.V."
    assert by_kind["Contact"].url == f"{fake.base_url}/lightning/r/Contact/003A/view"
    assert by_kind["Account"].phones == ("+31201234567",)
    assert "IN PHONE FIELDS RETURNING Contact(" in unquote_plus(fake.behaviour.requests[0])


async def test_token_is_reused_and_refreshed_once_after_session_expiry(
    fake: FakeSalesforce, client: httpx.AsyncClient
) -> None:
    sf = SalesforceConnector(config(fake), client)
    await sf.lookup("+31201234567")
    await sf.lookup("+31703456789")
    assert fake.tokens_issued == 1
    fake.valid_tokens.clear()  # the org expired our session
    assert [r.name for r in await sf.lookup("+31703456789")] == ["Els Bos"]
    assert fake.tokens_issued == 2


async def test_wrong_client_secret_is_an_auth_error(
    fake: FakeSalesforce, client: httpx.AsyncClient
) -> None:
    sf = SalesforceConnector(config(fake, secret="wrong"), client)
    with pytest.raises(CrmAuthError):
        await sf.lookup("+31201234567")


async def test_soql_listing_follows_next_records_url(
    fake: FakeSalesforce, client: httpx.AsyncClient
) -> None:
    for i in range(5):
        fake.add("Contact", f"003X{i}", f"Person {i}", Phone=f"010-41420{i:02d}", MobilePhone=None)
    sf = SalesforceConnector(config(fake), client)
    records = [r async for r in sf.iter_records()]
    contacts = [r for r in records if r.kind == "Contact"]
    assert len(contacts) == 7  # 2 + 5, over pages of 2
    assert any("/query/01gC-" in line for line in fake.behaviour.requests)
    assert {r.kind for r in records} == {"Contact", "Account", "Lead"}


async def test_a_next_page_link_to_another_origin_is_refused_not_followed(
    fake: FakeSalesforce, client: httpx.AsyncClient
) -> None:
    """Issue 19.9: the connector sends its bearer token with every page; a spoofed answer's
    `nextRecordsUrl` on another host (here another port) must not get it."""
    fake.add("Contact", "003X", "Third Contact", Phone="010-4142000", MobilePhone=None)  # 2 pages
    elsewhere = FakeSalesforce()
    with serve(elsewhere.app()) as other_url:
        fake.next_link_origin = other_url
        sf = SalesforceConnector(config(fake), client)
        with pytest.raises(CrmBadResponseError, match="another origin"):
            _ = [r async for r in sf.iter_records()]
    assert elsewhere.behaviour.requests == []


async def test_log_call_creates_a_completed_call_task(
    fake: FakeSalesforce, client: httpx.AsyncClient
) -> None:
    sf = SalesforceConnector(config(fake), client)
    contact = next(r for r in await sf.lookup("+31201234567") if r.kind == "Contact")
    call = CallLog(
        tenant="t1",
        call_id="call-1",
        number="+31201234567",
        direction=CallDirection.INBOUND,
        duration_s=75,
        agent="1001",
        disposition="Resolved",
        started_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        recording_url="https://pbx/rec/call-1.wav",
    )
    task_id = await sf.log_call(call, contact)
    assert task_id is not None and task_id.startswith("00T")
    task = fake.tasks[0]
    assert task["WhoId"] == "003A" and task["CallType"] == "Inbound"
    assert task["CallDurationInSeconds"] == 75 and task["CallDisposition"] == "Resolved"
    assert task["TaskSubtype"] == "Call" and task["Status"] == "Completed"
    assert "https://pbx/rec/call-1.wav" in task["Description"]


def test_sosl_reserved_characters_are_escaped() -> None:
    assert sosl_escape("+31-20") == "\\+31\\-20"

"""Exact Online connector and sync against a fake with OData v2 paging, token rotation, 429."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote_plus

import httpx
import pytest

from crm_connectors.config import ExactOnlineConfig
from crm_connectors.errors import CrmAuthError, CrmBadResponseError, CrmRateLimitedError
from crm_connectors.exact_online import ExactOnlineConnector
from crm_connectors.http import RetryPolicy
from crm_connectors.index import CrmIndex
from crm_connectors.oauth import TokenState
from crm_connectors.records import CallDirection, CallLog
from crm_connectors.secrets import Secret
from crm_connectors.sync import SyncMode, sync_connector
from tests.crm_connectors.crm_testkit import serve
from tests.crm_connectors.fake_vendors import FakeExact

FAST = RetryPolicy(attempts=3, backoff_s=0.01, max_wait_s=2.0)


def account(i: int, phone: str | None, modified: str = "2026-11-01T00:00:00") -> dict[str, object]:
    return {
        "ID": f"acc-{i}",
        "Code": str(i),
        "Name": f"Klant {i}",
        "Phone": phone,
        "Modified": modified,
    }


@pytest.fixture
def fake() -> Iterator[FakeExact]:
    fake = FakeExact(page_size=60)
    fake.accounts = [account(i, f"020-{1000000 + i}") for i in range(130)]
    fake.accounts.append(account(999, None))
    fake.contacts = [
        {
            "ID": "con-1",
            "FullName": "Piet Jansen",
            "Phone": None,
            "Mobile": "06 1234 5678",
            "BusinessPhone": None,
            "Account": "acc-1",
            "AccountName": "Klant 1",
            "Modified": "2026-11-01T00:00:00",
        }
    ]
    with serve(fake.app()) as url:
        fake.base_url = url
        yield fake


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


def config(fake: FakeExact) -> ExactOnlineConfig:
    return ExactOnlineConfig(
        name="exact",
        division=fake.division,
        client_id=fake.client_id,
        client_secret=Secret(fake.client_secret),
        refresh_token=Secret(fake.refresh_token),
        base_url=fake.base_url,
    )


def index(tmp_path: Path) -> CrmIndex:
    idx = CrmIndex.from_url(f"sqlite:///{tmp_path / 'index.sqlite'}")
    idx.create_schema()
    return idx


async def test_full_sync_pages_through_accounts_and_contacts(
    fake: FakeExact, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rotated: list[Secret] = []
    exact = ExactOnlineConnector(config(fake), client, retry=FAST, on_refresh_token=rotated.append)
    idx = index(tmp_path)
    result = await sync_connector(exact, idx, "t1", SyncMode.FULL)
    assert result.written == 131  # 130 accounts with phones + 1 contact; the phoneless one skipped
    found = idx.lookup("t1", "+31201000042")
    assert [(r.name, r.kind) for r in found] == [("Klant 42", "Account")]
    assert found[0].url and "AccountID=acc-42" in found[0].url
    assert [r.company for r in idx.lookup("t1", "+31612345678")] == ["Klant 1"]
    account_pages = [r for r in fake.behaviour.requests if "/crm/Accounts" in r]
    assert len(account_pages) == 3  # 60 + 60 + 11 rows
    assert [s.reveal() for s in rotated] == ["refresh-1"] and fake.refreshes == 1


async def test_a_next_page_link_to_another_origin_or_plain_http_is_refused(
    fake: FakeExact, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """Issue 19.9: `__next` links carry the bearer token; one to another host, or downgraded to
    another scheme, is refused and that host hears nothing."""
    elsewhere = FakeExact()
    with serve(elsewhere.app()) as other_url:
        for origin in (other_url, fake.base_url.replace("http://", "https://")):
            fake.next_link_origin = origin
            exact = ExactOnlineConnector(config(fake), client, retry=FAST)
            with pytest.raises(CrmBadResponseError, match="another origin"):
                await sync_connector(exact, index(tmp_path), "t1", SyncMode.FULL)
    assert elsewhere.behaviour.requests == []


async def test_429_with_retry_after_is_waited_out(
    fake: FakeExact, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    fake.behaviour.throttle_next = 1
    fake.behaviour.retry_after = "0"
    exact = ExactOnlineConnector(config(fake), client, retry=FAST)
    result = await sync_connector(exact, index(tmp_path), "t1", SyncMode.FULL)
    assert result.written == 131
    assert fake.behaviour.requests[0] == fake.behaviour.requests[1]  # the same page, asked again


async def test_long_retry_after_becomes_rate_limited_error(
    fake: FakeExact, client: httpx.AsyncClient
) -> None:
    fake.behaviour.throttle_next = 1
    fake.behaviour.retry_after = "120"
    exact = ExactOnlineConnector(config(fake), client, retry=FAST)
    with pytest.raises(CrmRateLimitedError) as err:
        _ = [r async for r in exact.iter_records()]
    assert err.value.retry_after_s == 120


async def test_minutely_budget_at_zero_pauses_the_connector(
    fake: FakeExact, client: httpx.AsyncClient
) -> None:
    fake.page_size = 100
    fake.minutely_remaining = 0
    fake.minutely_reset_ms = 4_102_444_800_000  # far away: longer than the policy may wait
    exact = ExactOnlineConnector(config(fake), client, retry=FAST)
    with pytest.raises(CrmRateLimitedError):
        _ = [r async for r in exact.iter_records()]
    # The first page was answered; the connector stopped before asking for the second.
    assert len([r for r in fake.behaviour.requests if "/crm/" in r]) == 1


async def test_delta_sync_filters_on_modified(
    fake: FakeExact, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    exact = ExactOnlineConnector(config(fake), client, retry=FAST)
    idx = index(tmp_path)
    first = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    await sync_connector(exact, idx, "t1", SyncMode.FULL, now=first)
    fake.accounts[0] = account(0, "030-7654321", modified="2026-11-25T10:05:00")
    fake.behaviour.requests.clear()
    result = await sync_connector(exact, idx, "t1", SyncMode.DELTA, now=first.replace(minute=20))
    assert result.mode is SyncMode.DELTA and result.written == 1
    assert "Modified ge datetime'2026-11-25T09:58:00'" in unquote_plus(fake.behaviour.requests[0])
    assert [r.name for r in idx.lookup("t1", "+31307654321")] == ["Klant 0"]
    assert idx.lookup("t1", "+31201000000") == []


async def test_refresh_is_not_repeated_within_570_seconds(
    fake: FakeExact, client: httpx.AsyncClient
) -> None:
    state = TokenState(refresh_token=Secret(fake.refresh_token))
    exact = ExactOnlineConnector(config(fake), client, retry=FAST, token_state=state)
    _ = [r async for r in exact.iter_records()]
    fake.valid_tokens.clear()  # Exact revoked the access token early
    with pytest.raises(CrmAuthError):
        _ = [r async for r in exact.iter_records()]
    assert fake.refreshes == 1


async def test_state_survives_a_new_connector_object(
    fake: FakeExact, client: httpx.AsyncClient
) -> None:
    state = TokenState(refresh_token=Secret(fake.refresh_token))
    for _ in range(2):
        exact = ExactOnlineConnector(config(fake), client, retry=FAST, token_state=state)
        _ = [r async for r in exact.iter_records()]
    assert fake.refreshes == 1


async def test_log_call_writes_a_communication_note(
    fake: FakeExact, client: httpx.AsyncClient
) -> None:
    exact = ExactOnlineConnector(config(fake), client, retry=FAST)
    records = [r async for r in exact.iter_records()]
    contact = next(r for r in records if r.kind == "Contact")
    call = CallLog(
        tenant="t1",
        call_id="c9",
        number="0612345678",
        direction=CallDirection.OUTBOUND,
        duration_s=12,
        agent="1004",
        disposition="No answer",
        started_at=datetime(2026, 11, 25, 11, 0, tzinfo=UTC),
    )
    note_id = await exact.log_call(call, contact)
    assert note_id == fake.notes[0]["ID"]
    assert fake.notes[0]["Contact"] == "con-1" and "to 0612345678" in fake.notes[0]["Subject"]


async def test_no_secret_reaches_the_logs_even_at_debug(
    fake: FakeExact, client: httpx.AsyncClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    exact = ExactOnlineConnector(config(fake), client, retry=FAST)
    await sync_connector(exact, index(tmp_path), "t1", SyncMode.FULL)
    fake.valid_tokens.clear()
    fake.refresh_token = "refresh-revoked"
    with pytest.raises(CrmAuthError) as err:
        _ = [r async for r in exact.iter_records()]
    logging.getLogger("test").warning("sync failed: %s (%r) on %r", err.value, err.value, exact)
    assert caplog.text  # something was logged
    for secret in (fake.client_secret, "refresh-0", "refresh-1", "exact-access-1"):
        assert secret not in caplog.text
        assert secret not in str(err.value)

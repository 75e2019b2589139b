"""In the running product the screen pop is resolved before the call is offered: the CRM has
answered before the engine offers the call (and rings the agent's phone), and the offer event
the agent's browser gets carries the record. The CRM is a REST CRM an admin adds over the API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from common.redis_keys import event_stream
from crm_connectors.sealing import KEY_ENV
from tests.crm_connectors.crm_testkit import serve
from tests.e2e.offered_call import offered_call
from tests.e2e.test_product import token
from tests.product_harness import REDIS_URL, ProductThread

CALLER = "+31307778899"  # not in the demo CRM: only the REST CRM knows it


class RestCrm:
    """A REST CRM that notes, when it answers, whether the call was already offered."""

    def __init__(self) -> None:
        self.prefix = ""
        self.answers: dict[str, bool] = {}
        """Number looked up -> whether CALL_OFFERED was already in the log when it answered."""

    def already_offered(self) -> bool:
        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            entries = client.xrange(event_stream(self.prefix, "demo")) or []
        finally:
            client.close()
        return any("CALL_OFFERED" in str(fields) for _, fields in entries)

    async def contacts(self, request: Request) -> JSONResponse:
        phone = request.query_params.get("phone", "")
        self.answers.setdefault(phone, await asyncio.to_thread(self.already_offered))
        rows = [{"id": "k-42", "name": "Klant Vooraf", "phone": CALLER}] if phone == CALLER else []
        return JSONResponse({"data": rows})


@pytest.fixture
def crm() -> Iterator[tuple[RestCrm, str]]:
    fake = RestCrm()
    with serve(Starlette(routes=[Route("/contacts", fake.contacts)])) as url:
        yield fake, url


@pytest.fixture
def product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProductThread]:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    monkeypatch.setenv("OPENCC_CRM_HTTP_HOSTS", "127.0.0.1")
    running = ProductThread.start(tmp_path / "var", "screen-pop-first")
    yield running
    running.stop()


async def test_the_crm_answers_before_the_offer_and_the_offer_carries_the_record(
    product: ProductThread, crm: tuple[RestCrm, str], tmp_path: Path
) -> None:
    fake, crm_url = crm
    fake.prefix = product.prefix
    base = product.base_url
    admin = await token(base, "admin", "pwadmin")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        added = await http.put(
            "/api/v1/tenants/demo/crm-connections/helpdesk",
            headers={"Authorization": f"Bearer {admin}"},
            json={
                "kind": "rest",
                "lookup_url": f"{crm_url}/contacts?phone={{number}}",
                "records_path": "data",
                "mapping": {"id": "id", "name": "name", "phones": ["phone"]},
            },
        )
        assert added.status_code == 201, added.text
        # A first look-up opens the HTTP pool; the call's own must not pay for that.
        warm = await http.get(
            "/api/v1/screen-pop",
            params={"number": "+31300000001"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert warm.status_code == 200 and warm.json()["records"] == []

    agent = await token(base, "1001", "pw1001")
    event = await offered_call(product, agent, CALLER, tmp_path)

    # The order: the CRM answered while nothing had been offered yet (an available agent gets
    # the call in the engine step that sees it arrive, so only the hold-back explains this).
    assert fake.answers.get(CALLER) is False, fake.answers
    assert event["caller"] == CALLER
    assert event["screenPop"] == [{"crm": "helpdesk", "recordId": "k-42", "name": "Klant Vooraf"}]

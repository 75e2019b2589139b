"""A synced address book in the running product: agent 1001 adds its CardDAV address book
(Radicale, a real CardDAV server) over the REST API; the product's own rq worker syncs it; a
SIPp call from a number in that book is offered to 1001 with the contact as its screen pop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from crm_connectors.sealing import KEY_ENV
from tests.components import require_executable
from tests.contacts.radicale_server import PASSWORD, USER, Radicale, radicale
from tests.e2e.offered_call import offered_call
from tests.e2e.test_product import token
from tests.product_harness import ProductThread

# rq's keys carry no prefix: this module's worker gets a Redis database no other test uses.
REDIS_URL = "redis://127.0.0.1:6379/12"
CALLER = "+31307770011"  # in 1001's CardDAV book only: not in the demo CRM or directory
CARD = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4f0e\r\nFN:Karin Kaartje\r\n"
    "ORG:Kaartjes BV\r\nTEL;VALUE=uri;TYPE=work:tel:+31-30-777-0011\r\nEND:VCARD\r\n"
)


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Radicale]:
    with radicale(tmp_path / "radicale") as server:
        yield server


@pytest.fixture
def product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProductThread]:
    for program in ("sipp", "rtpengine"):
        require_executable(program)
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    monkeypatch.setenv("OPENCC_CRM_HTTP_HOSTS", "127.0.0.1")  # Radicale's plain-http host
    running = ProductThread.start(
        tmp_path / "var", "contact-sources", rq_worker=True, redis_url=REDIS_URL
    )
    try:
        yield running
    finally:
        running.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for pattern in ("rq:*", "contacts:*", "crm:*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)
        client.close()


async def _synced(http: httpx.AsyncClient, source_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state: dict[str, Any] = (await http.get(f"/api/v1/contact-sources/{source_id}")).json()
        if state["health"] != "unknown":
            return state
        await asyncio.sleep(0.5)
    raise AssertionError("the product's worker did not sync the address book in time")


async def test_a_call_from_a_synced_contact_pops_it(
    product: ProductThread, book: Radicale, tmp_path: Path
) -> None:
    book.put_card("karin", CARD)
    base = product.base_url
    agent = await token(base, "1001", "pw1001")
    bearer = {"Authorization": f"Bearer {agent}"}
    async with httpx.AsyncClient(base_url=base, headers=bearer, timeout=30) as http:
        made = await http.post(
            "/api/v1/contact-sources/carddav",
            json={"name": "Mijn adresboek", "url": book.book_url, "username": USER,
                  "password": PASSWORD},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        state = await _synced(http, made.json()["id"])
        assert (state["health"], state["records"]) == ("ok", 1), state
        [contact] = (await http.get("/api/v1/contacts", params={"q": "Karin"})).json()["items"]
        assert contact["numbers"] == [CALLER] and contact["source"] == made.json()["id"]

    event = await offered_call(product, agent, CALLER, tmp_path)
    assert event["caller"] == CALLER
    assert event["screenPop"][:2] == [
        {"crm": "personal", "recordId": str(contact["id"]), "name": "Karin Kaartje"},
        {"crm": "personal", "recordId": f"{contact['id']}-company", "name": "Kaartjes BV"},
    ]

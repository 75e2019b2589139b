"""Bel-me-nu in the whole product (`make demo`'s start-up): the demo company's admin makes a
button for extension 1001, a visitor on the company's site asks to be called back; 1001's SIPp
phone rings showing the visitor's number and answers, then the SIPp carrier receives the call to
the visitor's number, from the company's number. Once over plain HTTP, once from Chromium on the
product's preview page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from redis.asyncio import Redis

from cti.event_log import EventLog
from queueing.events import EventType
from tests.components import CHROMIUM_ARGS, require_chromium
from tests.e2e.test_product import graphql, token
from tests.pbx_core.carrier import Carrier
from tests.pbx_core.support import Sipp, free_port, free_sip_port, register
from tests.product_harness import REDIS_URL, ProductThread

SITE = "https://www.demo-bedrijf.nl"
VISITOR = "+31612345678"


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(
        tmp_path / "var", "belmenu", carrier=("127.0.0.1", free_sip_port())
    )
    yield running
    running.stop()


async def _make_button(
    product: ProductThread, origin: str, destination: str = "1001"
) -> tuple[str, list[dict[str, str]]]:
    """A new button of the demo company (for 1001), and the buttons there were before."""
    admin = {"Authorization": f"Bearer {await token(product.base_url, 'admin', 'pwadmin')}"}
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        before = await http.get("/api/v1/tenants/demo/belmenu-buttons", headers=admin)
        created = await http.post(
            "/api/v1/tenants/demo/belmenu-buttons",
            json={"label": "Bel mij terug", "destination": destination, "origins": [origin]},
            headers=admin,
        )
    assert created.status_code == 201, created.text
    return created.json()["id"], before.json()


async def _phone_1001(
    product: ProductThread, tmp_path: Path, extension: str = "1001"
) -> tuple[Sipp, Path]:
    """1001's (or `extension`'s) phone, registered, answering the next call; its log names the
    caller."""
    port = free_port()
    registered = await register(product.sip_port, extension, port, tmp_path)
    assert registered.returncode == 0, registered.errors
    log = tmp_path / f"phone-{extension}.log"
    phone = await Sipp(
        "agent_answer_hangup.xml",
        work_dir=tmp_path,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 200, "talk_ms": 1500},
        extra=["-trace_logs", "-log_file", str(log)],
    ).start()
    return phone, log


async def visitor_asks(product: ProductThread, button: str) -> httpx.Response:
    """The visitor's request from the company's site to be called back on 06 1234 5678."""
    async with httpx.AsyncClient(base_url=product.base_url) as http:
        return await http.post(
            f"/api/v1/public/belmenu/{button}",
            json={"number": "06 1234 5678"},
            headers={"Origin": SITE},
        )


def _called_back(phone_log: Path, seen: dict[str, str]) -> None:
    # The employee's phone showed who asked to be called back.
    assert f"<sip:{VISITOR}@" in phone_log.read_text()
    # The visitor is called from the company (1001's direct number), not from the visitor.
    assert seen["r-uri"].startswith(f"sip:{VISITOR}@")
    assert seen["p-asserted-identity"] == "<sip:+31201230001@127.0.0.1>"


async def test_a_website_visitor_is_called_back_after_the_employee_answers(
    product: ProductThread, tmp_path: Path
) -> None:
    button, seeded = await _make_button(product, SITE)
    # `make demo` seeds one button for 1001, tried on the product's own preview page.
    assert [(b["destination"], b["origins"][0]) for b in seeded] == [
        ("1001", "http://127.0.0.1:8000")
    ]
    phone, phone_log = await _phone_1001(product, tmp_path)
    try:
        async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
            async with httpx.AsyncClient(base_url=product.base_url) as http:
                foreign = await http.post(
                    f"/api/v1/public/belmenu/{button}",
                    json={"number": "06 1234 5678"},
                    headers={"Origin": "https://elders.example"},
                )
                assert foreign.status_code == 403, foreign.text
                reply = await http.post(
                    f"/api/v1/public/belmenu/{button}",
                    json={"number": "06 1234 5678"},
                    headers={"Origin": SITE},
                )
            assert reply.status_code == 202, reply.text
            assert reply.headers["Access-Control-Allow-Origin"] == SITE
            seen = await carrier.finished()
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    _called_back(phone_log, seen)


async def test_a_button_of_a_call_center_queues_the_visitor_who_is_called_back_in_turn(
    product: ProductThread, tmp_path: Path
) -> None:
    """docs/callback.md: the request waits in the demo Helpdesk's queue (7001) while nobody is
    available; once 1001 is, its phone rings first, then the carrier gets the visitor's call."""
    button, _ = await _make_button(product, SITE, destination="7001")
    phone, phone_log = await _phone_1001(product, tmp_path)
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    events = EventLog(redis, product.prefix)
    try:
        async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
            reply = await visitor_asks(product, button)
            assert (reply.status_code, reply.json()) == (202, {"status": "queued"})
            queued = [e async for e in events.read_after("demo", -1)]
            requested = [e for e in queued if e.type is EventType.CALLBACK_REQUESTED]
            assert [(e.call_center_id, e.data["number"], e.data["via"]) for e in requested] == [
                ("7001", VISITOR, "web")
            ]
            agent = await token(product.base_url, "1001", "pw1001")
            ready = await graphql(
                product.base_url, agent, "mutation { setAgentState(state: AVAILABLE) { accepted } }"
            )
            assert ready == {"data": {"setAgentState": {"accepted": True}}}
            seen = await carrier.finished()
        assert (await phone.wait()).returncode == 0
        answered = [
            e async for e in events.read_after("demo", -1) if e.type is EventType.CALLBACK_ANSWERED
        ]
        assert [(e.call_id, e.agent) for e in answered] == [(requested[0].call_id, "1001")]
    finally:
        phone.kill()
        await redis.aclose()
    _called_back(phone_log, seen)


async def test_a_visitor_in_chromium_is_called_back(product: ProductThread, tmp_path: Path) -> None:
    button, _ = await _make_button(product, product.base_url)
    phone, phone_log = await _phone_1001(product, tmp_path)
    try:
        async with Carrier(product.settings.carrier[1], tmp_path) as carrier:
            async with async_playwright() as playwright:
                chromium = await playwright.chromium.launch(
                    executable_path=require_chromium(), args=CHROMIUM_ARGS
                )
                try:
                    page = await chromium.new_page()
                    await page.goto(f"{product.base_url}/belmenu/try/{button}")
                    await page.locator("input.belmenu-number").fill("06 1234 5678")
                    await page.locator("button.belmenu-call").click()
                    await expect(page.locator(".belmenu-status")).to_have_text(
                        "We bellen u zo terug.", timeout=15_000
                    )
                finally:
                    await chromium.close()
            seen = await carrier.finished()
        assert (await phone.wait()).returncode == 0
    finally:
        phone.kill()
    _called_back(phone_log, seen)

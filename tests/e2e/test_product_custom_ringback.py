"""Custom ringback in the running product: an admin uploads an announcement (a tone) and gives
it to 1003 as ringback; a colleague calling 1003 hears it (183 Session Progress, early media
through rtpengine) while 1003's phone still rings, then talks once it answers. Bad choices get
422 naming `announcement` and change nothing. docs/phone-features.md, "Custom ringback"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pbx_core import call_control as cc
from tests.e2e.test_product_announcements import admin_client, tone
from tests.e2e.test_product_call_handling import PbxEvents, finished, phone_call
from tests.e2e.test_product_phone_features import bearer
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import agent_phone
from tests.product_harness import ProductThread

RINGBACK_HZ = 440
RINGBACK = "/api/v1/tenants/{}/users/{}/custom-ringback"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path_factory.mktemp("ringback") / "var", "ringback")
    yield running
    running.stop()


@pytest.fixture
def events(product: ProductThread) -> Iterator[PbxEvents]:
    collected = PbxEvents(product)
    yield collected
    collected.stop()


async def choose(
    product: ProductThread, username: str, announcement: Any, tenant: str = "demo"
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        return await http.put(
            RINGBACK.format(tenant, username),
            json={"announcement": announcement},
            headers=await bearer(product, "admin"),
        )


async def test_a_caller_hears_the_users_ringback_while_the_phone_rings(
    product: ProductThread, tmp_path: Path, events: PbxEvents
) -> None:
    admin = admin_client(product)
    try:
        uploaded = admin.put("/api/v1/tenants/demo/announcements/ringback-tone",
                             content=tone(tmp_path, RINGBACK_HZ, 2))  # fmt: skip
    finally:
        admin.close()
    assert uploaded.is_success, uploaded.text
    chosen = await choose(product, "1003", "ringback-tone")
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["announcement"] == "ringback-tone"
    caller_audio = RtpPhone(None).start()
    phone = await agent_phone(product.sip_port, "1003", "agent_answer.xml", tmp_path, ring_ms=6000)
    caller = phone_call(product, tmp_path, "1005", "1003", "ext_call.xml", 40, hold_ms=1000,
                        media_port=caller_audio.port)  # fmt: skip
    try:
        await caller.start()
        await events.wait_for(cc.CallRinging, extension="1003")
        await caller_audio.wait_to_hear(RINGBACK_HZ, timeout=10)
        assert not events.of(cc.CallAnswered, extension="1003"), "heard while it still rang"
        await finished(caller, phone)  # answered after 6 s, then 1005 hung up
        assert events.of(cc.CallAnswered, extension="1003")
    finally:
        caller.kill()
        phone.kill()
        await caller_audio.close()


@pytest.mark.parametrize(
    ("username", "announcement"),
    [("1004", "no-such-announcement"), ("1004", "Bad Name"), ("1004", 5), ("1004", ["x"]),
     ("meetingroom", "ringback-tone")],
)  # fmt: skip
async def test_bad_choices_are_refused_naming_the_field(
    product: ProductThread, username: str, announcement: Any
) -> None:
    refused = await choose(product, username, announcement)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["field"] == "announcement"


async def test_other_tenants_are_refused_and_a_user_switches_their_own_off(
    product: ProductThread,
) -> None:
    assert (await choose(product, "1004", None, tenant="acme")).status_code in (403, 404)
    async with httpx.AsyncClient(base_url=product.base_url, timeout=30) as http:
        mine = await http.put("/api/v1/me/custom-ringback", json={"announcement": None},
                              headers=await bearer(product, "1004"))  # fmt: skip
        assert mine.status_code == 200, mine.text
        assert mine.json()["announcement"] is None
